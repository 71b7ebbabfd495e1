"""
An SMTP server on 127.0.0.1 that accepts every message and appends its Message-ID, one a line,
to a file: what ``bench/newsletter.py`` counts. ``python smtp_sink.py PORT FILE``; stops on
SIGTERM.
"""

import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, path):
        self.file = open(path, "a", buffering=1)  # noqa: SIM115 - open for the process's life

    async def handle_DATA(self, server, session, envelope):
        message_id = ""
        for line in envelope.content.split(b"\r\n"):
            if not line:
                break  # end of the headers
            if line[:11].lower() == b"message-id:":
                message_id = line[11:].strip().decode("ascii", "replace")
                break
        self.file.write(f"{message_id}\n")
        return "250 OK"


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Recorder(path), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"listening on 127.0.0.1:{port}", flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
