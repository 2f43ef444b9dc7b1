"""A stand-in for the context object Lambda passes to a handler."""


class LambdaContext:
    """The attributes of the Lambda context object the handler and its decorators read."""

    function_name = "votes-api"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:votes-api"
    memory_limit_in_mb = 1024
    aws_request_id = "6f6a8f1e-5d1c-4c59-9d0b-3a1f2e4d5c6b"
    log_group_name = "/aws/lambda/votes-api"
    log_stream_name = "2026/11/27/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000
