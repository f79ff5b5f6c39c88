/* SPDX-License-Identifier: Apache-2.0 */
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include "tls_hello.h"

size_t test_tls_client_hello(const char *sni, int max_version, uint8_t *out, size_t cap)
{
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        SSL *ssl = ctx ? SSL_new(ctx) : NULL;
        BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());
        size_t n = 0;
        int r;

        if (!ssl || !rbio || !wbio)
                goto out;
        if (max_version && !SSL_set_max_proto_version(ssl, max_version))
                goto out;
        if (sni && !SSL_set_tlsext_host_name(ssl, sni))
                goto out;
        SSL_set_bio(ssl, rbio, wbio); /* ssl owns both now */
        rbio = wbio = NULL;
        SSL_set_connect_state(ssl);
        r = SSL_do_handshake(ssl); /* writes the ClientHello, then wants the reply */
        if (r != -1 || SSL_get_error(ssl, r) != SSL_ERROR_WANT_READ)
                goto out;
        r = BIO_read(SSL_get_wbio(ssl), out, (int)cap);
        n = r > 0 ? (size_t)r : 0;
out:
        BIO_free(rbio);
        BIO_free(wbio);
        SSL_free(ssl);
        SSL_CTX_free(ctx);
        return n;
}
