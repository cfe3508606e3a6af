"""The requests.Session subclass behind every OAuth, identity and doctor request.

requests' own environment handling (`trust_env`) is off: it would also read ~/.netrc, whose entry for a
host replaces the Authorization header pdauth sets. Instead, for each request, the proxy and the CA bundle
come from `pdauth.core.network` (the rules `pdauth call`'s http.client transport follows too), and a
proxy's 407 answer to a plain-http request becomes the same error as a refused CONNECT tunnel.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from pdauth.core.network import ca_bundle, connection_failure, proxy_for, requests_failure


class NetworkSession(requests.Session):
    def __init__(self, env: Mapping[str, str]) -> None:
        super().__init__()
        self.trust_env = False  # never ~/.netrc (see above); proxies and CAs are set per request below
        self._env = env
        self.hooks["response"].append(self._proxy_refusal)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        """As requests', but a refused proxy or a certificate that does not verify is a PdauthError that
        says so (ProxyFailed, TlsVerifyFailed), whoever sent the request: one message for every caller."""
        try:
            return super().request(method, url, *args, **kwargs)
        except requests.RequestException as exc:
            target = url.decode() if isinstance(url, bytes) else url
            failure = requests_failure(exc, target, self._env)
            if failure is None:
                raise
            raise failure from None

    def merge_environment_settings(
        self, url: str | bytes | None, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:  # requests' private _Settings TypedDict
        target = url.decode() if isinstance(url, bytes) else url or ""
        proxy = proxy_for(target, self._env)
        if proxy is not None:
            proxies = {urlsplit(target).scheme.lower(): proxy.url(), **(proxies or {})}
        if verify is True or verify is None:
            verify = ca_bundle(self._env)[0] or True
        return super().merge_environment_settings(url, proxies, stream, verify, cert)

    def _proxy_refusal(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        """A 407 from the proxy itself (plain http goes to the proxy, which answers for the server)."""
        if response.status_code == 407 and response.request.url:
            url = response.request.url
            proxy = proxy_for(url, self._env)
            if proxy is not None:
                host = urlsplit(url).netloc.rpartition("@")[2]
                failure = connection_failure(
                    "ProxyError", host, proxy, OSError("Tunnel connection failed: 407"), env=self._env
                )
                if failure is not None:
                    raise failure
        return response
