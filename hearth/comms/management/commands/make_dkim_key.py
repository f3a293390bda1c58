from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Make an RSA key for DKIM-signing Hearth's email: writes the private key (mode 0600) and "
        "prints the DNS TXT record to publish. Point HEARTH_DKIM_KEY_FILE at the file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="Where to write the private key (PEM).")
        parser.add_argument("--bits", type=int, default=2048, choices=[2048, 3072, 4096])
        parser.add_argument("--force", action="store_true", help="Replace an existing file.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if path.exists() and not options["force"]:
            raise CommandError(f"{path} exists; give --force to replace it.")
        key = rsa.generate_private_key(public_exponent=65537, key_size=options["bits"])
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        record = f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode('ascii')}"
        name = f"{settings.HEARTH_DKIM_SELECTOR}._domainkey.{settings.HEARTH_DKIM_DOMAIN}"
        self.stdout.write(f"Private key written to {path} (keep it secret).")
        self.stdout.write(f'Publish this DNS TXT record:\n{name}. IN TXT "{record}"')
