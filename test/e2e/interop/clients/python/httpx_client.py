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
    # An HTTP/2 response carries no network stream in httpcore: the port comes from the trace
    # of the request that opened the connection, and later streams reuse the last one opened
    # (a second opening is still seen, as isNewConnection).
    opened = {}

    def trace(event, info):
        if event == 'connection.connect_tcp.complete':
            address = info['return_value'].get_extra_info('client_addr')
            opened['port'] = None if address is None else str(address[1])
            seen['new'] = True

    def on_response(response):
        # Called with the headers, while the connection is surely open.
        port = local_port(response)
        seen['port'] = opened.get('port') if port is None and response.http_version == 'HTTP/2' else port

    client = httpx.Client(
        verify=spec['caFile'],
        cert=(spec['certFile'], spec['keyFile']) if spec['certFile'] else None,
        timeout=spec['requestTimeoutMs'] / 1000,
        event_hooks={'response': [on_response]},
        http2=http2,
    )

    def send(cell, body):
        seen.clear()
        content = pieces(body) if cell['isChunked'] else body
        try:
            answer = client.post(spec['baseUrl'] + cell['path'], content=content,
                                 headers={'Content-Type': 'application/json'},
                                 extensions={'trace': trace} if http2 else {})
            status, error, head = answer.status_code, None, head_of(answer.text)
            protocol = answer.http_version
        except httpx.HTTPError as err:
            status, error, head, protocol = 0, describe_error(err), '', None
        is_new = seen.get('new', False) if http2 else None
        return {'status': status, 'error': error, 'bodyHead': head, 'connection': seen.get('port'),
                'isNewConnection': is_new, 'protocol': protocol}

    return send


if __name__ == '__main__':
    http2 = '--http2' in sys.argv[1:]
    name = 'python httpx (http2=True)' if http2 else 'python httpx'
    run_batch(name, f'{httpx.__version__} (httpcore {httpcore.__version__}, {runtime()})',
              lambda spec: make_sender(spec, http2))
