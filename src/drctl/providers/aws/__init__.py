"""AWS actions (`aws.*` kinds) and side-effect-free read functions, all on one `AwsClients` factory.

route53 · route53_failover · aurora · aurora_cluster · rds · dynamodb · s3 · ebs_efs · efs ·
secrets (Secrets Manager and SSM) · eks · cloudtrail (CloudTrail and CloudWatch lag);
`clients` holds the session factory `AwsClients` and `aws_errors()`, the one translation of
botocore errors; the rest of drctl imports them from there.
"""
