"""The estate a plan describes, as plain data, provisioned into the sandbox with boto3; the sample app."""
