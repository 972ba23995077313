"""boto3 adapters: DynamoDB, S3, SNS, SQS and Step Functions behind the domain's ports."""
