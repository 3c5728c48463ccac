"""`racesdsl serve`: an HTTP reward service over worker processes.

app.py has the routes, trainers.py (and racesdsl.integrations.payloads) read request bodies,
scoring.py is what a worker does with one, workers.py runs the processes and
server.py ties them to uvicorn. docs/integrations.md ("Reward server") is the
contract: endpoints, payloads and trainer configuration."""
