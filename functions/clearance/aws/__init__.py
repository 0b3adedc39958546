"""The only place that imports boto3: S3, Secrets Manager, KMS and the audit log in S3."""
