import boto3

s3 = boto3.client(
    's3',
    aws_secret_access_key='ZlUIvFxI5OKfZvGJuvNl7UReACOxBKvysZzvXLNa',
)
