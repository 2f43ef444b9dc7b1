"""The HTTP API (API Gateway HTTP API, payload format 2.0): resolver, routes, request bodies,
the error table, responses, identity from the verified claims, and the OpenAPI document."""
