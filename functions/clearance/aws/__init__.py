"""The only package that talks to AWS (boto3); everything else is plain data and functions."""
