"""moto's server on loopback and the AWS behaviour drctl adds to it, keeping AWS's wire protocol."""
