"""Streams in flight at a GOAWAY: one httpx Client(http2=True) sends N requests at once on its
one connection and prints, for each, its status, protocol and error (JSON on stdout). The spec
(JSON on stdin): baseUrl, path, body, caFile, certFile, keyFile, count, timeoutMs. The test learns
that they are in flight from the engine, which records each request as it arrives."""
import json
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx


def main():
    spec = json.load(sys.stdin)
    client = httpx.Client(
        verify=spec['caFile'],
        cert=(spec['certFile'], spec['keyFile']),
        timeout=spec['timeoutMs'] / 1000,
        http2=True,
    )
    # One request first, alone: the connection exists before the others, so all share it.
    body = spec['body'].encode()
    first = client.post(spec['baseUrl'] + spec['path'], content=body,
                        headers={'Content-Type': 'application/json'})

    def send(_):
        try:
            answer = client.post(spec['baseUrl'] + spec['path'], content=body,
                                 headers={'Content-Type': 'application/json'})
            return {'status': answer.status_code, 'protocol': answer.http_version, 'error': None}
        except httpx.HTTPError as err:
            return {'status': 0, 'protocol': None, 'error': f'{type(err).__name__}: {err}'}

    with ThreadPoolExecutor(max_workers=spec['count']) as pool:
        outcomes = list(pool.map(send, range(spec['count'])))
    print(json.dumps({'first': first.status_code, 'firstProtocol': first.http_version, 'outcomes': outcomes}))


main()
