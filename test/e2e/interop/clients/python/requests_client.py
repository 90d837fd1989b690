"""Interop client: Python requests with its defaults (one Session, so connections are kept
alive as requests users get them). See interop_common.py for the spec and the report."""
import logging

import requests
import urllib3

from interop_common import describe_error, head_of, pieces, run_batch, runtime


class NewConnections(logging.Handler):
    """urllib3 logs every connection it opens ("Starting new HTTPS connection (1): ...", or
    "Resetting dropped connection" when it replaces one): counting them tells reuse apart."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record):
        if str(record.msg).startswith(('Starting new HTTPS connection', 'Resetting dropped connection')):
            self.count += 1


def make_sender(spec):
    opened = NewConnections()
    log = logging.getLogger('urllib3.connectionpool')
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.addHandler(opened)
    session = requests.Session()

    def send(cell, body):
        before = opened.count
        data = pieces(body) if cell['isChunked'] else body
        try:
            answer = session.post(
                spec['baseUrl'] + cell['path'],
                data=data,
                headers={'Content-Type': 'application/json'},
                verify=spec['caFile'],
                cert=(spec['certFile'], spec['keyFile']) if spec['certFile'] else None,
                timeout=spec['requestTimeoutMs'] / 1000,
            )
            status, error, head = answer.status_code, None, head_of(answer.text)
        except requests.RequestException as err:
            status, error, head = 0, describe_error(err), ''
        return {'status': status, 'error': error, 'bodyHead': head, 'connection': None,
                'isNewConnection': opened.count > before}

    return send


if __name__ == '__main__':
    run_batch('python requests', f'{requests.__version__} (urllib3 {urllib3.__version__}, {runtime()})', make_sender)
