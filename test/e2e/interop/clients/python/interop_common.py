"""Shared by the Python interop clients: read the BatchSpec (JSON on stdin), send its cells one
request at a time (each waits for its answer), print the BatchReport (JSON on stdout).
Each client supplies only how one request is sent with its library's default settings."""
import json
import platform
import ssl
import sys

# Pieces of a chunked body: what a generator handed to the library yields.
CHUNK_BYTES = 64 * 1024


def head_of(text, limit=160):
    flat = ''.join(c if ' ' <= c <= '~' else '.' for c in text[:limit + 1])
    return flat[:limit] + '...' if len(flat) > limit else flat


def pieces(data):
    for start in range(0, len(data), CHUNK_BYTES):
        yield data[start:start + CHUNK_BYTES]


def runtime():
    """The interpreter and TLS library under the client, for the report's version."""
    return f'Python {platform.python_version()}, {" ".join(ssl.OPENSSL_VERSION.split()[:2])}'


def describe_error(err):
    return f'{type(err).__name__}: {err}'


def run_batch(client, version, make_sender):
    """make_sender(spec) -> send(cell, body) -> dict with status, error, bodyHead,
    connection and isNewConnection."""
    spec = json.load(sys.stdin)
    send = make_sender(spec)
    outcomes = []
    for cell in spec['cells']:
        with open(cell['bodyFile'], 'rb') as f:
            body = f.read()
        for _ in range(cell['repeat']):
            outcome = send(cell, body)
            outcome['cell'] = cell['name']
            outcomes.append(outcome)
    json.dump({'client': client, 'version': version, 'outcomes': outcomes}, sys.stdout)
