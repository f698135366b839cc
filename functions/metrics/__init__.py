"""Queue metrics: each queue's live figures from Amazon Connect, published to CloudWatch every minute."""
