"""The application the Lambda functions and the local app run.

Settings (:mod:`votes.settings`), the composition root (:mod:`votes.bootstrap`), the HTTP API
(:mod:`votes.http`), the relay to EventBridge (:mod:`votes.relay`), the SQS projector
(:mod:`votes.projector`), the schema (:mod:`votes.migrations`, and the CloudFormation custom
resource that applies it, :mod:`votes.custom_resource`), the pre sign-up rule
(:mod:`votes.presignup`) and the ``votes`` CLI (:mod:`votes.cli`). :mod:`votes.local` is the
local app (``votes serve``); neither it nor the CLI ships to Lambda. Importing this package
imports nothing else (cold start).
"""
