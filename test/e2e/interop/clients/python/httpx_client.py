"""Interop client: Python httpx with its defaults (one Client, HTTP/1.1, connections kept
alive); with --http2, a Client that offers HTTP/2 first (ALPN h2, http/1.1), as users who
enable it get. See interop_common.py for the spec and the report."""
import sys

import httpcore
import httpx

from interop_common import describe_error, head_of, pieces, run_batch, runtime


def local_port(response):
    """The client side port of the connection that carried the response: one port, one connection."""
    stream = response.extensions.get('network_stream')
    if stream is None:
        return None
    try:
        address = stream.get_extra_info('client_addr')
    except OSError:
        return None
    return None if address is None else str(address[1])


def make_sender(spec, http2):
    seen = {}

    def on_response(response):
        # Called with the headers, while the connection is surely open.
        seen['port'] = local_port(response)

    client = httpx.Client(
        verify=spec['caFile'],
        cert=(spec['certFile'], spec['keyFile']),
        timeout=spec['requestTimeoutMs'] / 1000,
        event_hooks={'response': [on_response]},
        http2=http2,
    )

    def send(cell, body):
        seen.clear()
        content = pieces(body) if cell['isChunked'] else body
        try:
            answer = client.post(spec['baseUrl'] + cell['path'], content=content,
                                 headers={'Content-Type': 'application/json'})
            status, error, head = answer.status_code, None, head_of(answer.text)
        except httpx.HTTPError as err:
            status, error, head = 0, describe_error(err), ''
        return {'status': status, 'error': error, 'bodyHead': head, 'connection': seen.get('port'),
                'isNewConnection': None}

    return send


if __name__ == '__main__':
    http2 = '--http2' in sys.argv[1:]
    name = 'python httpx (http2=True)' if http2 else 'python httpx'
    run_batch(name, f'{httpx.__version__} (httpcore {httpcore.__version__}, {runtime()})',
              lambda spec: make_sender(spec, http2))
