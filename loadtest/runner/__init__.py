"""The load-test runner's parts: server, API client, profiles, tally check, report and chart."""
