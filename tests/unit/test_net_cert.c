/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "net/cert.h"

static char root[64];

static void rm_tree(const char *path)
{
        DIR *d = opendir(path);
        struct dirent *e;

        if (!d) {
                unlink(path);
                return;
        }
        while ((e = readdir(d))) {
                char sub[512];
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
                rm_tree(sub);
        }
        closedir(d);
        rmdir(path);
}

static int setup(void **state)
{
        snprintf(root, sizeof(root), "/tmp/airlock-cert-XXXXXX");
        return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
        rm_tree(root);
        return 0;
}

static void path_of(char *out, size_t len, const char *dir, const char *file)
{
        snprintf(out, len, "%s/%s/%s", root, dir, file);
}

static void ca_dir(char *out, size_t len, const char *dir)
{
        snprintf(out, len, "%s/%s", root, dir);
}

static void make_ca(const char *dir, struct net_ca *ca)
{
        struct al_error err = { 0 };
        char d[256];

        ca_dir(d, sizeof(d), dir);
        if (net_ca_load_or_create(ca, d, "Airlock test CA", (uid_t)-1, &err) < 0)
                fail_msg("%s", err.msg);
}

static int load_ca(const char *dir, struct net_ca *ca, struct al_error *err)
{
        char d[256];

        ca_dir(d, sizeof(d), dir);
        return net_ca_load_or_create(ca, d, "Airlock test CA", (uid_t)-1, err);
}

static mode_t mode_of(const char *dir, const char *file)
{
        char p[256];
        struct stat st;

        path_of(p, sizeof(p), dir, file);
        assert_int_equal(stat(p, &st), 0);
        return st.st_mode & 07777;
}

static void write_file(const char *dir, const char *file, const void *data, size_t n)
{
        char p[256];
        int fd;

        path_of(p, sizeof(p), dir, file);
        (void)chmod(p, 0600);
        fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, n), (ssize_t)n);
        close(fd);
        assert_int_equal(chmod(p, 0400), 0);
}

static char *read_file(const char *dir, const char *file, size_t *len)
{
        char p[256];
        FILE *f;
        char *buf = malloc(65536);

        path_of(p, sizeof(p), dir, file);
        f = fopen(p, "re");
        assert_non_null(f);
        *len = fread(buf, 1, 65536, f);
        fclose(f);
        return buf;
}

static void test_ca_create_and_reload(void **state)
{
        struct net_ca a = { 0 }, b = { 0 };
        char d[256];
        int days = 0, secs = 0;
        struct stat st;

        make_ca("one", &a);
        ca_dir(d, sizeof(d), "one");
        assert_int_equal(stat(d, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
        assert_int_equal(mode_of("one", "ca.key"), 0400);
        assert_int_equal(mode_of("one", "ca.crt"), 0444);

        assert_int_equal(EVP_PKEY_get_base_id(a.key), EVP_PKEY_EC);
        assert_int_equal(EVP_PKEY_get_bits(a.key), 256);
        assert_int_equal(X509_check_ca(a.cert), 1);
        assert_int_equal(X509_get_pathlen(a.cert), 0);
        assert_int_equal(X509_get_key_usage(a.cert), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
        assert_non_null(X509_get0_subject_key_id(a.cert));
        assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(a.cert)), 1);
        assert_true(days >= 3649 && days <= 3650);
        /* basicConstraints is critical */
        int crit = -1;
        BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(a.cert, NID_basic_constraints, &crit, NULL);
        assert_non_null(bc);
        assert_int_equal(crit, 1);
        BASIC_CONSTRAINTS_free(bc);

        /* the same CA comes back, and nothing else is left in the dir */
        make_ca("one", &b);
        assert_int_equal(X509_cmp(a.cert, b.cert), 0);
        assert_int_equal(EVP_PKEY_eq(a.key, b.key), 1);
        DIR *dir = opendir(d);
        struct dirent *e;
        int files = 0;
        while ((e = readdir(dir))) /* temporary files would count too */
                files += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
        closedir(dir);
        assert_int_equal(files, 2);

        /* a reader of the public cert only */
        X509 *pub = NULL;
        struct al_error err = { 0 };
        char p[256];
        path_of(p, sizeof(p), "one", "ca.crt");
        assert_int_equal(net_ca_load_cert(p, &pub, &err), 0);
        assert_int_equal(X509_cmp(pub, a.cert), 0);
        X509_free(pub);
        path_of(p, sizeof(p), "one", "missing.crt");
        assert_int_equal(net_ca_load_cert(p, &pub, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "missing.crt"));
        net_ca_release(&a);
        net_ca_release(&b);
        assert_null(a.key);
}

static void test_ca_crt_rewritten_from_key(void **state)
{
        struct net_ca a = { 0 }, b = { 0 };
        char p[256];

        make_ca("two", &a);
        path_of(p, sizeof(p), "two", "ca.crt");
        assert_int_equal(unlink(p), 0);
        make_ca("two", &b); /* re-exported, not regenerated */
        assert_int_equal(X509_cmp(a.cert, b.cert), 0);
        assert_int_equal(mode_of("two", "ca.crt"), 0444);
        net_ca_release(&a);
        net_ca_release(&b);
}

static void test_ca_corrupt_is_an_error(void **state)
{
        struct net_ca a = { 0 }, b = { 0 };
        struct al_error err = { 0 };
        size_t len;

        make_ca("three", &a);
        net_ca_release(&a);
        write_file("three", "ca.key", "not a key\n", 10);
        assert_int_equal(load_ca("three", &b, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "three/ca.key"));
        assert_non_null(strstr(err.msg, "remove"));
        assert_null(b.key);
        char *kept = read_file("three", "ca.key", &len); /* never silently regenerated */
        assert_int_equal(len, 10);
        assert_memory_equal(kept, "not a key\n", 10);
        free(kept);
}

static void test_ca_mismatch_is_an_error(void **state)
{
        struct net_ca a = { 0 }, b = { 0 }, c = { 0 };
        struct al_error err = { 0 };
        char pa[256], pb[256];
        size_t len;

        make_ca("four", &a);
        make_ca("five", &b);

        /* ca.crt from another CA */
        path_of(pa, sizeof(pa), "four", "ca.crt");
        path_of(pb, sizeof(pb), "five", "ca.crt");
        char *other = read_file("five", "ca.crt", &len);
        assert_int_equal(unlink(pa), 0);
        FILE *f = fopen(pa, "we");
        fwrite(other, 1, len, f);
        fclose(f);
        free(other);
        assert_int_equal(load_ca("four", &c, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "four/ca.crt"));
        assert_non_null(strstr(err.msg, "not the certificate"));

        /* ca.key holding one CA's key and the other's certificate */
        BIO *m = BIO_new(BIO_s_mem());
        char *pem;
        assert_int_equal(PEM_write_bio_PrivateKey(m, a.key, NULL, NULL, 0, NULL, NULL), 1);
        assert_int_equal(PEM_write_bio_X509(m, b.cert), 1);
        len = (size_t)BIO_get_mem_data(m, &pem);
        write_file("five", "ca.key", pem, len);
        BIO_free(m);
        err = (struct al_error){ 0 };
        assert_int_equal(load_ca("five", &c, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "does not match"));
        net_ca_release(&a);
        net_ca_release(&b);
}

static void test_ca_half_or_open_is_an_error(void **state)
{
        struct net_ca a = { 0 }, b = { 0 };
        struct al_error err = { 0 };
        char p[256];

        make_ca("six", &a);
        net_ca_release(&a);
        path_of(p, sizeof(p), "six", "ca.key");
        assert_int_equal(chmod(p, 0644), 0);
        assert_int_equal(load_ca("six", &b, &err), -EPERM);
        assert_non_null(strstr(err.msg, "readable by group or others"));

        assert_int_equal(unlink(p), 0);
        err = (struct al_error){ 0 };
        assert_int_equal(load_ca("six", &b, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "without"));
        assert_null(b.cert);

        err = (struct al_error){ 0 };
        ca_dir(p, sizeof(p), "seven");
        assert_int_equal(net_ca_load_or_create(&b, p, "", (uid_t)-1, &err), -EINVAL);
}

static X509_STORE *store_with(X509 *ca)
{
        X509_STORE *st = X509_STORE_new();

        assert_int_equal(X509_STORE_add_cert(st, ca), 1);
        return st;
}

/* 1 when leaf verifies against ca as a TLS server for host (or ip). */
static int verify_for(X509 *ca, X509 *leaf, const char *host, const char *ip)
{
        X509_STORE *st = store_with(ca);
        X509_STORE_CTX *ctx = X509_STORE_CTX_new();
        int ok;

        assert_int_equal(X509_STORE_CTX_init(ctx, st, leaf, NULL), 1);
        X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
        if (host)
                X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx), host, 0);
        if (ip)
                X509_VERIFY_PARAM_set1_ip_asc(X509_STORE_CTX_get0_param(ctx), ip);
        ok = X509_verify_cert(ctx);
        X509_STORE_CTX_free(ctx);
        X509_STORE_free(st);
        ERR_clear_error();
        return ok;
}

static void test_mint_and_verify(void **state)
{
        const char *names[] = { "api.example.test", "*.sandbox.localhost", "127.0.0.1", "::1" };
        struct al_error err = { 0 };
        struct net_ca ca = { 0 };
        EVP_PKEY *key = net_key_new();
        X509 *leaf = NULL, *again = NULL;
        char cn[128];
        int days, secs;

        make_ca("mint", &ca);
        assert_non_null(key);
        if (net_cert_mint(&ca, key, names, 4, 7, &leaf, &err) < 0)
                fail_msg("%s", err.msg);
        assert_int_equal(verify_for(ca.cert, leaf, NULL, NULL), 1);
        assert_int_equal(verify_for(ca.cert, leaf, "api.example.test", NULL), 1);
        assert_int_equal(verify_for(ca.cert, leaf, "API.example.test", NULL), 1);
        assert_int_equal(verify_for(ca.cert, leaf, "x.sandbox.localhost", NULL), 1);
        assert_int_equal(verify_for(ca.cert, leaf, "a.b.sandbox.localhost", NULL), 0);
        assert_int_equal(verify_for(ca.cert, leaf, "sandbox.localhost", NULL), 0);
        assert_int_equal(verify_for(ca.cert, leaf, "evil.test", NULL), 0);
        assert_int_equal(verify_for(ca.cert, leaf, NULL, "127.0.0.1"), 1);
        assert_int_equal(verify_for(ca.cert, leaf, NULL, "::1"), 1);
        assert_int_equal(verify_for(ca.cert, leaf, NULL, "127.0.0.2"), 0);
        /* the name an IP literal is minted for is not also a DNS name */
        assert_int_equal(X509_check_host(leaf, "127.0.0.1", 0, 0, NULL), 0);

        assert_int_equal(X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn,
                                                   sizeof(cn)),
                         16);
        assert_string_equal(cn, "api.example.test");
        assert_int_equal(X509_check_ca(leaf), 0);
        assert_int_equal(X509_get_extended_key_usage(leaf), XKU_SSL_SERVER);
        assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf),
                                               X509_get0_subject_key_id(ca.cert)),
                         0);
        assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(leaf), NULL), 1);
        assert_true(days * 86400 + secs >= 3590); /* an hour back, for lagging clocks */
        assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(leaf)), 1);
        assert_true(days == 7 || (days == 6 && secs > 86000));

        /* 128 random bits of serial: two leaves never share one */
        assert_int_equal(net_cert_mint(&ca, key, names, 1, 1, &again, &err), 0);
        BIGNUM *s1 = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
        BIGNUM *s2 = ASN1_INTEGER_to_BN(X509_get0_serialNumber(again), NULL);
        assert_true(BN_num_bits(s1) > 96 && BN_num_bits(s1) <= 128);
        assert_int_not_equal(BN_cmp(s1, s2), 0);
        BN_free(s1);
        BN_free(s2);
        X509_free(again);
        X509_free(leaf);
        EVP_PKEY_free(key);
        net_ca_release(&ca);
}

static void test_mint_rejects_bad_names(void **state)
{
        static const char *const bad[] = {
                "", "bad name", "a..b", "*.com", "*.*.x.test", "a,DNS:evil.test", "foo*.x.test",
                "x.test.", "-\n.test", "a/b.test",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test", /* 64 */
        };
        const char *ok[] = { "ok.test" };
        const char *many[NET_CERT_MAX_NAMES + 1];
        struct net_ca ca = { 0 };
        EVP_PKEY *key = net_key_new();
        X509 *leaf = NULL;
        char longname[300];

        make_ca("mint2", &ca);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct al_error err = { 0 };
                assert_false(net_cert_name_valid(bad[i]));
                assert_int_equal(net_cert_mint(&ca, key, &bad[i], 1, 7, &leaf, &err), -EINVAL);
                assert_null(leaf);
        }
        memset(longname, 'a', sizeof(longname));
        for (size_t i = 60; i < sizeof(longname); i += 61)
                longname[i] = '.';
        longname[254] = '\0';
        assert_false(net_cert_name_valid(longname));
        longname[253] = '\0';
        if (longname[252] == '.')
                longname[252] = 'a';
        assert_true(net_cert_name_valid(longname));
        /* a name too long for a CN still makes a certificate: the SAN is what counts */
        const char *ln[] = { longname };
        struct al_error err = { 0 };
        assert_int_equal(net_cert_mint(&ca, key, ln, 1, 7, &leaf, &err), 0);
        assert_int_equal(X509_check_host(leaf, longname, 0, 0, NULL), 1);
        X509_free(leaf);
        leaf = NULL;

        for (size_t i = 0; i < NET_CERT_MAX_NAMES + 1; i++)
                many[i] = "ok.test";
        assert_int_equal(net_cert_mint(&ca, key, many, NET_CERT_MAX_NAMES + 1, 7, &leaf, &err),
                         -EINVAL);
        assert_int_equal(net_cert_mint(&ca, key, ok, 0, 7, &leaf, &err), -EINVAL);
        assert_int_equal(net_cert_mint(&ca, key, ok, 1, 0, &leaf, &err), -EINVAL);
        assert_null(leaf);
        EVP_PKEY_free(key);
        net_ca_release(&ca);
}

static void test_minter_cache(void **state)
{
        struct al_error err = { 0 };
        struct net_ca ca = { 0 };
        struct net_minter *m;
        SSL_CTX *a, *b, *c;

        make_ca("minter", &ca);
        m = net_minter_new(&ca);
        net_ca_release(&ca); /* the minter holds its own references */
        assert_non_null(m);
        a = net_minter_ctx(m, "api.example.test", &err);
        b = net_minter_ctx(m, "API.Example.Test.", &err);
        c = net_minter_ctx(m, "other.example.test", &err);
        assert_non_null(a);
        assert_ptr_equal(a, b);
        assert_ptr_not_equal(a, c);
        assert_null(net_minter_ctx(m, "bad host", &err));
        assert_int_equal(err.code, EINVAL);
        err = (struct al_error){ 0 };
        assert_null(net_minter_ctx(m, "*.example.test", &err));
        SSL_CTX_free(a);
        SSL_CTX_free(b);
        net_minter_free(m);
        /* a context handed out outlives the minter */
        SSL *ssl = SSL_new(c);
        assert_non_null(ssl);
        SSL_free(ssl);
        SSL_CTX_free(c);
}

static void test_minter_lru(void **state)
{
        struct al_error err = { 0 };
        struct net_ca ca = { 0 };
        struct net_minter *m;
        SSL_CTX *first, *second, *x;
        char host[64];

        make_ca("lru", &ca);
        m = net_minter_new(&ca);
        /* references held, so an evicted context's address is never reused */
        first = net_minter_ctx(m, "h0.test", &err);
        second = net_minter_ctx(m, "h1.test", &err);
        for (int i = 2; i < NET_MINTER_MAX; i++) {
                snprintf(host, sizeof(host), "h%d.test", i);
                x = net_minter_ctx(m, host, &err);
                assert_non_null(x);
                SSL_CTX_free(x);
        }
        x = net_minter_ctx(m, "h0.test", &err); /* full; h0 becomes the most recent */
        assert_ptr_equal(x, first);
        SSL_CTX_free(x);
        x = net_minter_ctx(m, "one-more.test", &err); /* evicts h1, the least recent */
        SSL_CTX_free(x);
        x = net_minter_ctx(m, "h0.test", &err);
        assert_ptr_equal(x, first);
        SSL_CTX_free(x);
        x = net_minter_ctx(m, "h1.test", &err);
        assert_ptr_not_equal(x, second);
        SSL_CTX_free(x);
        SSL_CTX_free(first);
        SSL_CTX_free(second);
        net_minter_free(m);
        net_ca_release(&ca);
}

/* Drive both ends over an in-memory BIO pair; 1 when both finish. */
static int handshake(SSL *client, SSL *server)
{
        BIO *cb, *sb;

        assert_int_equal(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
        SSL_set_bio(client, cb, cb);
        SSL_set_bio(server, sb, sb);
        SSL_set_connect_state(client);
        SSL_set_accept_state(server);
        for (int i = 0; i < 20; i++) {
                int rc = SSL_do_handshake(client), rs = SSL_do_handshake(server);
                if (rc == 1 && rs == 1)
                        return 1;
                if ((rc <= 0 && SSL_get_error(client, rc) != SSL_ERROR_WANT_READ) ||
                    (rs <= 0 && SSL_get_error(server, rs) != SSL_ERROR_WANT_READ)) {
                        ERR_clear_error();
                        return 0;
                }
        }
        return 0;
}

struct tls_case {
        const char *minted, *dialled;
        bool extra_ca, offer_h2_only;
        long want_verify;
};

static void run_tls(struct net_minter *m, const char *ca_file, const struct tls_case *t)
{
        struct al_error err = { 0 };
        SSL_CTX *cctx = net_tls_client_ctx_new(t->extra_ca ? ca_file : NULL, &err);
        SSL_CTX *sctx = net_minter_ctx(m, t->minted, &err);
        const unsigned char *alpn;
        unsigned alpn_len;
        char buf[8];

        assert_non_null(cctx);
        assert_non_null(sctx);
        SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
        if (t->offer_h2_only)
                assert_int_equal(SSL_set_alpn_protos(c, (const unsigned char *)"\x02h2", 3), 0);
        assert_int_equal(net_tls_client_set_host(c, t->dialled), 0);
        int ok = handshake(c, s);
        assert_int_equal(SSL_get_verify_result(c), t->want_verify);
        assert_int_equal(ok, t->want_verify == X509_V_OK);
        if (ok) {
                assert_true(SSL_version(c) >= TLS1_2_VERSION);
                SSL_get0_alpn_selected(c, &alpn, &alpn_len);
                if (t->offer_h2_only) {
                        assert_int_equal(alpn_len, 0);
                } else {
                        assert_int_equal(alpn_len, 8);
                        assert_memory_equal(alpn, "http/1.1", 8);
                }
                assert_int_equal(sk_X509_num(SSL_get_peer_cert_chain(c)), 2); /* leaf + CA */
                assert_int_equal(SSL_write(c, "ping", 4), 4);
                assert_int_equal(SSL_read(s, buf, sizeof(buf)), 4);
                assert_memory_equal(buf, "ping", 4);
        }
        SSL_free(c);
        SSL_free(s);
        SSL_CTX_free(cctx);
        SSL_CTX_free(sctx);
}

static void test_tls_handshake(void **state)
{
        static const struct tls_case cases[] = {
                { "api.example.test", "api.example.test", true, false, X509_V_OK },
                { "api.example.test", "api.example.test.", true, true, X509_V_OK },
                { "127.0.0.1", "127.0.0.1", true, false, X509_V_OK },
                { "api.example.test", "other.example.test", true, false,
                  X509_V_ERR_HOSTNAME_MISMATCH },
                { "127.0.0.1", "127.0.0.2", true, false, X509_V_ERR_IP_ADDRESS_MISMATCH },
                { "api.example.test", "api.example.test", false, false,
                  X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN },
        };
        struct net_ca ca = { 0 };
        struct net_minter *m;
        char ca_file[256];

        make_ca("tls", &ca);
        path_of(ca_file, sizeof(ca_file), "tls", "ca.crt");
        m = net_minter_new(&ca);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                run_tls(m, ca_file, &cases[i]);
        net_minter_free(m);
        net_ca_release(&ca);
}

static void test_client_ctx_errors(void **state)
{
        struct al_error err = { 0 };
        char p[256];
        SSL_CTX *ctx;

        snprintf(p, sizeof(p), "%s/no-such-bundle.pem", root);
        assert_null(net_tls_client_ctx_new(p, &err));
        assert_int_equal(err.code, ENOENT);
        assert_non_null(strstr(err.msg, "no-such-bundle.pem"));

        snprintf(p, sizeof(p), "%s/garbage.pem", root);
        FILE *f = fopen(p, "we");
        fputs("garbage\n", f);
        fclose(f);
        err = (struct al_error){ 0 };
        assert_null(net_tls_client_ctx_new(p, &err));
        assert_int_equal(err.code, EINVAL);

        ctx = net_tls_client_ctx_new(NULL, &err);
        assert_non_null(ctx);
        SSL *ssl = SSL_new(ctx);
        assert_int_equal(net_tls_client_set_host(ssl, "bad host"), -EINVAL);
        assert_int_equal(net_tls_client_set_host(ssl, ""), -EINVAL);
        assert_int_equal(net_tls_client_set_host(ssl, "[::1]"), 0);
        SSL_free(ssl);
        SSL_CTX_free(ctx);
        assert_int_equal(ERR_peek_error(), 0); /* nothing left to confuse the next caller */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ca_create_and_reload),
                cmocka_unit_test(test_ca_crt_rewritten_from_key),
                cmocka_unit_test(test_ca_corrupt_is_an_error),
                cmocka_unit_test(test_ca_mismatch_is_an_error),
                cmocka_unit_test(test_ca_half_or_open_is_an_error),
                cmocka_unit_test(test_mint_and_verify),
                cmocka_unit_test(test_mint_rejects_bad_names),
                cmocka_unit_test(test_minter_cache),
                cmocka_unit_test(test_minter_lru),
                cmocka_unit_test(test_tls_handshake),
                cmocka_unit_test(test_client_ctx_errors),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
