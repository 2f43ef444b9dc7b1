"""The local app, ``votes serve``: the whole stack in one process (local only, never in a
Lambda package): API Gateway's part, the in-process bus, live results, the client's site, and
the local Cognito stand-in (:mod:`votes.local.idp`)."""
