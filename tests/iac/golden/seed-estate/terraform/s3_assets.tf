resource "aws_iam_role" "assets_replication" {
  name = "drctl-my-app-assets-replication"

  assume_role_policy = <<-EOT
    {
      "Statement": [
        {
          "Action": "sts:AssumeRole",
          "Effect": "Allow",
          "Principal": {
            "Service": "s3.amazonaws.com"
          }
        }
      ],
      "Version": "2012-10-17"
    }
  EOT
}

resource "aws_iam_role_policy" "assets_replication" {
  name = "s3-replication"
  role = aws_iam_role.assets_replication.id

  policy = <<-EOT
    {
      "Statement": [
        {
          "Action": [
            "s3:GetReplicationConfiguration",
            "s3:ListBucket"
          ],
          "Effect": "Allow",
          "Resource": [
            "arn:aws:s3:::my-app-assets-apne1"
          ],
          "Sid": "ReadReplicationConfiguration"
        },
        {
          "Action": [
            "s3:GetObjectVersionAcl",
            "s3:GetObjectVersionForReplication",
            "s3:GetObjectVersionTagging"
          ],
          "Effect": "Allow",
          "Resource": [
            "arn:aws:s3:::my-app-assets-apne1/*"
          ],
          "Sid": "ReadSourceVersions"
        },
        {
          "Action": [
            "s3:ReplicateDelete",
            "s3:ReplicateObject",
            "s3:ReplicateTags"
          ],
          "Effect": "Allow",
          "Resource": [
            "arn:aws:s3:::my-app-assets-apse1/*"
          ],
          "Sid": "ReplicateIntoDestination"
        }
      ],
      "Version": "2012-10-17"
    }
  EOT
}

resource "aws_s3_bucket_replication_configuration" "assets" {
  provider = aws.ap_northeast_1
  bucket   = "my-app-assets-apne1"
  role     = aws_iam_role.assets_replication.arn

  rule {
    id       = "drctl-assets"
    priority = 1
    status   = "Enabled"

    filter {
      prefix = ""
    }

    delete_marker_replication {
      status = "Enabled"
    }

    destination {
      bucket = "arn:aws:s3:::my-app-assets-apse1"

      replication_time {
        status = "Enabled"

        time {
          minutes = 15
        }
      }

      metrics {
        status = "Enabled"

        event_threshold {
          minutes = 15
        }
      }
    }
  }
}
