/* SPDX-License-Identifier: Apache-2.0 */
/* Who owns what: a struct net_ca owns one reference on its key and its cert.
 * A minter owns its own references on both, the shared leaf key, and one
 * reference on each cached SSL_CTX; net_minter_ctx() hands out another.
 * Every OpenSSL failure clears the thread's error queue before returning, so
 * a stale entry never confuses a later SSL_get_error() in the event loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "common/buf.h"
#include "common/cleanup.h"
#include "common/limits.h"

#define CA_KEY "ca.key"
#define CA_CRT "ca.crt"
#define MAX_BUNDLE (4u * 1024u * 1024u) /* an extra CA bundle for upstreams */
#define MINTER_BUCKETS 2048
#define CN_MAX 64 /* ub-common-name */

static const unsigned char alpn_h1[] = "\x08http/1.1";

static void pkey_freep(EVP_PKEY **p)
{
        EVP_PKEY_free(*p);
}
static void x509_freep(X509 **p)
{
        X509_free(*p);
}
static void bio_freep(BIO **p)
{
        BIO_free(*p);
}
static void ssl_ctx_freep(SSL_CTX **p)
{
        SSL_CTX_free(*p);
}
#define _cleanup_pkey_ _cleanup_(pkey_freep)
#define _cleanup_x509_ _cleanup_(x509_freep)
#define _cleanup_bio_ _cleanup_(bio_freep)
#define _cleanup_ssl_ctx_ _cleanup_(ssl_ctx_freep)

/* The last OpenSSL error's reason, the queue cleared. */
static const char *ossl_err(void)
{
        unsigned long e = ERR_peek_last_error();
        const char *s = e ? ERR_reason_error_string(e) : NULL;

        ERR_clear_error();
        return s ? s : "unknown error";
}

/* Never prompt for a passphrase: an encrypted key is an error. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
        return -1;
}

/* ---- names ---- */

static int ip_literal(const char *s, unsigned char out[16])
{
        if (inet_pton(AF_INET, s, out) == 1)
                return 4;
        if (inet_pton(AF_INET6, s, out) == 1)
                return 16;
        return 0;
}

static bool dns_name_valid(const char *s)
{
        size_t len = strlen(s), label = 0;

        if (len == 0 || len > NET_CERT_MAX_NAME)
                return false;
        for (size_t i = 0; i <= len; i++) {
                char c = s[i];
                if (c == '.' || c == '\0') {
                        if (label == 0 || label > 63)
                                return false;
                        label = 0;
                } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                           c == '_') {
                        label++;
                } else {
                        return false;
                }
        }
        return true;
}

bool net_cert_name_valid(const char *name)
{
        unsigned char ip[16];

        if (ip_literal(name, ip))
                return true;
        if (strncmp(name, "*.", 2) == 0) /* a whole leftmost label, over two labels or more */
                return dns_name_valid(name + 2) && strchr(name + 2, '.');
        return dns_name_valid(name);
}

/* host without a trailing dot or IPv6 brackets, lower case, checked; no wildcard. */
static int host_normalize(const char *host, char out[NET_CERT_MAX_NAME + 1])
{
        size_t len = strnlen(host, NET_CERT_MAX_NAME + 3);

        if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
                host++;
                len -= 2;
        } else if (len > 1 && host[len - 1] == '.') {
                len--;
        }
        if (len == 0 || len > NET_CERT_MAX_NAME)
                return -EINVAL;
        for (size_t i = 0; i < len; i++)
                out[i] = (char)(host[i] >= 'A' && host[i] <= 'Z' ? host[i] + 32 : host[i]);
        out[len] = '\0';
        if (out[0] == '*' || !net_cert_name_valid(out))
                return -EINVAL;
        return 0;
}

/* ---- files ---- */

/* The whole of a small regular file, NUL-terminated. -ENOENT (err untouched)
 * when absent. A private key must not be readable by group or others. */
static int file_read(int dfd, const char *name, const char *shown, bool nofollow, bool private_key, size_t max,
                     char **ret, size_t *ret_len, struct al_error *err)
{
        _cleanup_fd_ int fd = -1;
        struct stat st;
        size_t len = 0;

        fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | (nofollow ? O_NOFOLLOW : 0));
        if (fd < 0 && errno == ENOENT)
                return -ENOENT;
        if (fd < 0)
                return al_error_set(err, errno, "open %s", shown);
        if (fstat(fd, &st) < 0)
                return al_error_set(err, errno, "stat %s", shown);
        if (!S_ISREG(st.st_mode))
                return al_error_setx(err, EINVAL, "%s is not a regular file", shown);
        if (private_key && (st.st_mode & 077))
                return al_error_setx(err, EPERM,
                                     "%s is readable by group or others (mode %04o); chmod 0400 it, "
                                     "and consider the CA compromised if others could read it",
                                     shown, (unsigned)(st.st_mode & 07777));
        if ((uint64_t)st.st_size > max)
                return al_error_setx(err, EFBIG, "%s is larger than %zu bytes", shown, max);
        char *p = malloc((size_t)st.st_size + 1);
        if (!p)
                return al_error_setx(err, ENOMEM, "read %s", shown);
        while (len < (size_t)st.st_size) {
                ssize_t n = read(fd, p + len, (size_t)st.st_size - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        int e = n < 0 ? errno : EIO;
                        OPENSSL_cleanse(p, len);
                        free(p);
                        return al_error_set(err, e, "read %s", shown);
                }
                len += (size_t)n;
        }
        p[len] = '\0';
        *ret = p;
        *ret_len = len;
        return 0;
}

static void file_free(char *p, size_t len)
{
        if (p)
                OPENSSL_cleanse(p, len);
        free(p);
}

static int rename_noreplace(int dfd, const char *from, const char *to)
{
        if (renameat2(dfd, from, dfd, to, RENAME_NOREPLACE) == 0)
                return 0;
        if (errno != EINVAL && errno != ENOSYS)
                return -errno;
        /* a filesystem without RENAME_NOREPLACE: link refuses to replace too */
        if (linkat(dfd, from, dfd, to, 0) < 0)
                return -errno;
        (void)unlinkat(dfd, from, 0);
        return 0;
}

/* Create dir/name holding p, atomically: a temporary file, fsync, then a
 * rename that never replaces. -EEXIST (err untouched) when name appeared
 * meanwhile, i.e. another process created it first. */
static int file_commit(int dfd, const char *dir, const char *name, mode_t mode, uid_t owner, const void *p, size_t n,
                       struct al_error *err)
{
        _cleanup_fd_ int fd = -1;
        unsigned char rnd[8];
        char tmp[64];
        int r;

        if (RAND_bytes(rnd, sizeof(rnd)) != 1)
                return al_error_setx(err, EIO, "random bytes: %s", ossl_err());
        snprintf(tmp, sizeof(tmp), ".%s.%02x%02x%02x%02x%02x%02x%02x%02x", name, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
                 rnd[5], rnd[6], rnd[7]);
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0)
                return al_error_set(err, errno, "create a file in %s", dir);
        r = fchmod(fd, mode) < 0 ? -errno : 0; /* exact, whatever the umask */
        if (r == 0 && owner != (uid_t)-1 && fchown(fd, owner, (gid_t)-1) < 0)
                r = -errno;
        if (r == 0)
                r = al_write_all(fd, p, n);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (r == 0)
                r = rename_noreplace(dfd, tmp, name);
        if (r < 0) {
                (void)unlinkat(dfd, tmp, 0);
                return r == -EEXIST ? r : al_error_set(err, -r, "write %s/%s", dir, name);
        }
        (void)fsync(dfd); /* the rename itself survives a crash */
        return 0;
}

static int dir_open(const char *dir, uid_t owner, struct al_error *err)
{
        bool created = mkdir(dir, 0700) == 0;
        int fd;

        if (!created && errno != EEXIST)
                return al_error_set(err, errno, "create %s", dir);
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return al_error_set(err, errno, "open %s", dir);
        if (created && owner != (uid_t)-1 && fchown(fd, owner, (gid_t)-1) < 0) {
                int r = al_error_set(err, errno, "chown %s", dir);
                close(fd);
                return r;
        }
        return fd;
}

/* ---- certificates ---- */

static X509 *pem_cert(const char *p, size_t n)
{
        _cleanup_bio_ BIO *b = BIO_new_mem_buf(p, (int)n);

        return b ? PEM_read_bio_X509(b, NULL, no_password, NULL) : NULL;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
        int ok = e && X509_add_ext(x, e, -1) == 1;

        X509_EXTENSION_free(e);
        return ok ? 0 : -EINVAL;
}

static int set_random_serial(X509 *x)
{
        unsigned char b[16];
        BIGNUM *bn;
        int ok;

        if (RAND_bytes(b, sizeof(b)) != 1)
                return -EIO;
        bn = BN_bin2bn(b, sizeof(b), NULL); /* unsigned: 128 random bits, never negative */
        ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
        BN_free(bn);
        return ok ? 0 : -ENOMEM;
}

/* Version, serial, validity, subject CN (when cn fits) and public key. */
static int cert_base(X509 *x, EVP_PKEY *key, const char *cn, unsigned days)
{
        X509_NAME *nm = X509_get_subject_name(x);

        if (X509_set_version(x, X509_VERSION_3) != 1 || set_random_serial(x) < 0 ||
            !X509_gmtime_adj(X509_getm_notBefore(x), -3600) || /* tolerate a client's clock lag */
            !X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) || X509_set_pubkey(x, key) != 1)
                return -EINVAL;
        if (cn && strlen(cn) <= CN_MAX &&
            X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) != 1)
                return -EINVAL;
        return 0;
}

static X509 *ca_cert_new(EVP_PKEY *key, const char *cn)
{
        _cleanup_x509_ X509 *x = X509_new();
        X509V3_CTX ctx;

        if (!x || cert_base(x, key, cn, NET_CA_DAYS) < 0 || X509_set_issuer_name(x, X509_get_subject_name(x)) != 1)
                return NULL;
        X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
        if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") < 0 ||
            add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ||
            add_ext(x, &ctx, NID_subject_key_identifier, "hash") < 0 || X509_sign(x, key, EVP_sha256()) <= 0)
                return NULL;
        return TAKE_PTR(x);
}

EVP_PKEY *net_key_new(void)
{
        EVP_PKEY *k = EVP_EC_gen("P-256");

        if (!k)
                ERR_clear_error();
        return k;
}

/* ---- the CA ---- */

static int ca_check(const char *dir, EVP_PKEY *key, X509 *cert, struct al_error *err)
{
        if (X509_check_private_key(cert, key) != 1) {
                ERR_clear_error();
                return al_error_setx(err, EINVAL,
                                     "%s/" CA_KEY ": the certificate does not match the key; "
                                     "remove %s to create a new CA (sandboxes then trust the new one)",
                                     dir, dir);
        }
        if (X509_check_ca(cert) != 1)
                return al_error_setx(err, EINVAL,
                                     "%s/" CA_KEY ": the certificate is not a CA certificate; "
                                     "remove %s to create a new CA",
                                     dir, dir);
        if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0)
                return al_error_setx(err, EKEYEXPIRED,
                                     "%s/" CA_KEY ": the CA certificate has expired; "
                                     "remove %s to create a new CA",
                                     dir, dir);
        ERR_clear_error();
        return 0;
}

/* Key and certificate from ca.key; -ENOENT (err untouched) when it is absent. */
static int ca_load(int dfd, const char *dir, struct net_ca *ret, struct al_error *err)
{
        char shown[AL_MAX_PATH];
        char *p = NULL;
        size_t n = 0;
        int r;

        snprintf(shown, sizeof(shown), "%s/" CA_KEY, dir);
        r = file_read(dfd, CA_KEY, shown, true, true, NET_CA_MAX_FILE, &p, &n, err);
        if (r < 0)
                return r;
        _cleanup_bio_ BIO *b = BIO_new_mem_buf(p, (int)n);
        _cleanup_pkey_ EVP_PKEY *key = b ? PEM_read_bio_PrivateKey(b, NULL, no_password, NULL) : NULL;
        _cleanup_x509_ X509 *cert = pem_cert(p, n);
        file_free(p, n);
        if (!key || !cert)
                return al_error_setx(err, EINVAL,
                                     "%s: no %s in it (%s); remove %s to create a new CA "
                                     "(sandboxes then trust the new one)",
                                     shown, key ? "certificate" : "private key", ossl_err(), dir);
        r = ca_check(dir, key, cert, err);
        if (r < 0)
                return r;
        ret->key = TAKE_PTR(key);
        ret->cert = TAKE_PTR(cert);
        return 0;
}

/* PEM of the key then the certificate, in memory the allocator wipes. */
static BIO *ca_bundle_pem(EVP_PKEY *key, X509 *cert)
{
        BIO *b = BIO_new(BIO_s_secmem());

        if (b && PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) == 1 && PEM_write_bio_X509(b, cert) == 1)
                return b;
        BIO_free(b);
        return NULL;
}

/* A new CA, committed by the rename of ca.key. -EEXIST (err untouched) when
 * another process committed one first. */
static int ca_create(int dfd, const char *dir, const char *cn, uid_t owner, struct net_ca *ret, struct al_error *err)
{
        _cleanup_pkey_ EVP_PKEY *key = net_key_new();
        _cleanup_x509_ X509 *cert = key ? ca_cert_new(key, cn) : NULL;
        _cleanup_bio_ BIO *b = cert ? ca_bundle_pem(key, cert) : NULL;
        char *p;
        long n;
        int r;

        if (!b)
                return al_error_setx(err, ENOMEM, "create a CA: %s", ossl_err());
        n = BIO_get_mem_data(b, &p);
        r = file_commit(dfd, dir, CA_KEY, 0400, owner, p, (size_t)n, err);
        if (r < 0)
                return r;
        ret->key = TAKE_PTR(key);
        ret->cert = TAKE_PTR(cert);
        return 0;
}

/* ca.crt must be the certificate in ca.key; written when missing. */
static int ca_crt_sync(int dfd, const char *dir, const struct net_ca *ca, uid_t owner, struct al_error *err)
{
        char shown[AL_MAX_PATH];

        snprintf(shown, sizeof(shown), "%s/" CA_CRT, dir);
        for (int attempt = 0; attempt < 2; attempt++) {
                char *p = NULL;
                size_t n = 0;
                int r = file_read(dfd, CA_CRT, shown, true, false, NET_CA_MAX_FILE, &p, &n, err);
                if (r == 0) {
                        _cleanup_x509_ X509 *x = pem_cert(p, n);
                        file_free(p, n);
                        if (!x || X509_cmp(x, ca->cert) != 0)
                                return al_error_setx(err, EINVAL,
                                                     "%s is not the certificate in %s/" CA_KEY " (%s); remove %s to "
                                                     "write it again "
                                                     "from " CA_KEY,
                                                     shown, dir, x ? "another CA" : ossl_err(), shown);
                        return 0;
                }
                if (r != -ENOENT)
                        return r;
                _cleanup_bio_ BIO *b = BIO_new(BIO_s_mem());
                char *pem;
                if (!b || PEM_write_bio_X509(b, ca->cert) != 1)
                        return al_error_setx(err, ENOMEM, "write %s: %s", shown, ossl_err());
                long len = BIO_get_mem_data(b, &pem);
                r = file_commit(dfd, dir, CA_CRT, 0444, owner, pem, (size_t)len, err);
                if (r != -EEXIST) /* else another process wrote it: compare */
                        return r;
        }
        return al_error_setx(err, EBUSY, "%s keeps changing", shown);
}

int net_ca_load_or_create(struct net_ca *ca, const char *dir, const char *common_name, uid_t owner,
                          struct al_error *err)
{
        _cleanup_fd_ int dfd = -1;
        struct net_ca n = { 0 };
        struct stat st;
        int r;

        if (!common_name || !*common_name || strlen(common_name) > CN_MAX)
                return al_error_setx(err, EINVAL, "a CA name must have 1 to %d characters", CN_MAX);
        dfd = dir_open(dir, owner, err);
        if (dfd < 0)
                return dfd;
        r = ca_load(dfd, dir, &n, err);
        if (r == -ENOENT) {
                /* A crash never leaves ca.crt alone (ca.key is committed first):
                 * someone removed the key, and silently replacing it would
                 * leave sandboxes trusting a CA nobody holds. */
                if (fstatat(dfd, CA_CRT, &st, AT_SYMLINK_NOFOLLOW) == 0)
                        return al_error_setx(err, ENOENT,
                                             "%s/" CA_CRT " exists without %s/" CA_KEY "; remove %s to create a new CA",
                                             dir, dir, dir);
                r = ca_create(dfd, dir, common_name, owner, &n, err);
                if (r == -EEXIST)
                        r = ca_load(dfd, dir, &n, err);
        }
        if (r < 0)
                return r;
        r = ca_crt_sync(dfd, dir, &n, owner, err);
        if (r < 0) {
                net_ca_release(&n);
                return r;
        }
        *ca = n;
        return 0;
}

int net_ca_load_cert(const char *path, X509 **ret, struct al_error *err)
{
        char *p = NULL;
        size_t n = 0;
        int r = file_read(AT_FDCWD, path, path, false, false, NET_CA_MAX_FILE, &p, &n, err);

        if (r == -ENOENT)
                return al_error_set(err, ENOENT, "open %s", path);
        if (r < 0)
                return r;
        X509 *x = pem_cert(p, n);
        file_free(p, n);
        if (!x)
                return al_error_setx(err, EINVAL, "%s: no certificate in it (%s)", path, ossl_err());
        *ret = x;
        return 0;
}

void net_ca_release(struct net_ca *ca)
{
        EVP_PKEY_free(ca->key);
        X509_free(ca->cert);
        ca->key = NULL;
        ca->cert = NULL;
}

/* ---- leaves ---- */

static int add_sans(X509 *x, const char *const *names, size_t n)
{
        GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
        int ok = gens != NULL;

        for (size_t i = 0; ok && i < n; i++) {
                unsigned char ip[16];
                int iplen = ip_literal(names[i], ip);
                GENERAL_NAME *gn = GENERAL_NAME_new();
                ASN1_STRING *s = iplen ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
                char lower[NET_CERT_MAX_NAME + 1];
                size_t len = strlen(names[i]);

                for (size_t j = 0; j <= len; j++) /* built, not parsed: no config syntax */
                        lower[j] = (char)(names[i][j] >= 'A' && names[i][j] <= 'Z' ? names[i][j] + 32 : names[i][j]);
                ok = gn && s && (iplen ? ASN1_OCTET_STRING_set(s, ip, iplen) : ASN1_STRING_set(s, lower, -1));
                if (ok) {
                        GENERAL_NAME_set0_value(gn, iplen ? GEN_IPADD : GEN_DNS, s);
                        s = NULL;
                        ok = sk_GENERAL_NAME_push(gens, gn) > 0;
                        if (ok)
                                gn = NULL;
                }
                ASN1_STRING_free(s);
                GENERAL_NAME_free(gn);
        }
        ok = ok && X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) == 1;
        GENERAL_NAMES_free(gens);
        return ok ? 0 : -ENOMEM;
}

static int leaf_check_args(const char *const *names, size_t n, unsigned days, struct al_error *err)
{
        if (n == 0 || n > NET_CERT_MAX_NAMES)
                return al_error_setx(err, EINVAL, "a certificate needs 1 to %d names", NET_CERT_MAX_NAMES);
        if (days == 0 || days > NET_CERT_MAX_DAYS)
                return al_error_setx(err, EINVAL, "a certificate lasts 1 to %d days", NET_CERT_MAX_DAYS);
        for (size_t i = 0; i < n; i++)
                if (!names[i] || !net_cert_name_valid(names[i]))
                        return al_error_setx(err, EINVAL, "'%.*s' is not a name a certificate can hold",
                                             NET_CERT_MAX_NAME, names[i] ? names[i] : "");
        return 0;
}

int net_cert_mint(const struct net_ca *ca, EVP_PKEY *leaf_key, const char *const *names, size_t n, unsigned days,
                  X509 **ret, struct al_error *err)
{
        bool rsa = EVP_PKEY_get_base_id(leaf_key) == EVP_PKEY_RSA;
        _cleanup_x509_ X509 *x = NULL;
        X509V3_CTX ctx;
        int r;

        r = leaf_check_args(names, n, days, err);
        if (r < 0)
                return r;
        x = X509_new();
        if (!x || cert_base(x, leaf_key, names[0], days) < 0 ||
            X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) != 1)
                return al_error_setx(err, ENOMEM, "mint a certificate: %s", ossl_err());
        X509V3_set_ctx(&ctx, ca->cert, x, NULL, NULL, 0);
        if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
            add_ext(x, &ctx, NID_key_usage,
                    rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature") < 0 ||
            add_ext(x, &ctx, NID_ext_key_usage, "serverAuth") < 0 ||
            add_ext(x, &ctx, NID_subject_key_identifier, "hash") < 0 ||
            add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") < 0 || add_sans(x, names, n) < 0 ||
            X509_sign(x, ca->key, EVP_sha256()) <= 0)
                return al_error_setx(err, EINVAL, "mint a certificate for %s: %s", names[0], ossl_err());
        *ret = TAKE_PTR(x);
        return 0;
}

/* ---- the minter ---- */

struct minter_entry {
        struct minter_entry *hnext;       /* hash chain */
        struct minter_entry *prev, *next; /* recency, most recent first */
        SSL_CTX *ctx;                     /* the cache's reference */
        time_t renew_at;
        char host[];
};

struct net_minter {
        EVP_PKEY *ca_key, *leaf_key;
        X509 *ca_cert;
        struct minter_entry *bucket[MINTER_BUCKETS];
        struct minter_entry *head, *tail;
        size_t count;
        uint64_t seed; /* names come from sandboxes: keep chains unpredictable */
};

static size_t minter_hash(const struct net_minter *m, const char *s)
{
        uint64_t h = 0xcbf29ce484222325ull ^ m->seed;

        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
        return (size_t)(h ^ (h >> 29)) % MINTER_BUCKETS;
}

static void lru_unlink(struct net_minter *m, struct minter_entry *e)
{
        if (e->prev)
                e->prev->next = e->next;
        else
                m->head = e->next;
        if (e->next)
                e->next->prev = e->prev;
        else
                m->tail = e->prev;
        e->prev = e->next = NULL;
}

static void lru_push(struct net_minter *m, struct minter_entry *e)
{
        e->next = m->head;
        if (m->head)
                m->head->prev = e;
        m->head = e;
        if (!m->tail)
                m->tail = e;
}

static void entry_drop(struct net_minter *m, struct minter_entry *e)
{
        struct minter_entry **p = &m->bucket[minter_hash(m, e->host)];

        while (*p != e)
                p = &(*p)->hnext;
        *p = e->hnext;
        lru_unlink(m, e);
        SSL_CTX_free(e->ctx); /* connections keep their own references */
        free(e);
        m->count--;
}

static int on_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                          unsigned int inlen, void *arg)
{
        unsigned char *sel;

        /* Only HTTP/1.1 is offered: the request rewriter frames HTTP/1.x. */
        if (SSL_select_next_proto(&sel, outlen, alpn_h1, sizeof(alpn_h1) - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
                return SSL_TLSEXT_ERR_NOACK;
        *out = sel;
        return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *server_ctx_new(struct net_minter *m, const char *host, struct al_error *err)
{
        const struct net_ca ca = { .key = m->ca_key, .cert = m->ca_cert };
        const char *names[] = { host };
        _cleanup_x509_ X509 *leaf = NULL;
        _cleanup_ssl_ctx_ SSL_CTX *ctx = NULL;

        if (net_cert_mint(&ca, m->leaf_key, names, 1, NET_MINTER_LEAF_DAYS, &leaf, err) < 0)
                return NULL;
        ctx = SSL_CTX_new(TLS_server_method());
        if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
            SSL_CTX_use_certificate(ctx, leaf) != 1 || SSL_CTX_use_PrivateKey(ctx, m->leaf_key) != 1 ||
            SSL_CTX_add1_chain_cert(ctx, m->ca_cert) != 1) {
                al_error_setx(err, ENOMEM, "TLS context for %s: %s", host, ossl_err());
                return NULL;
        }
        SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
        /* no per-context session cache: 1024 of them would grow unbounded;
         * stateless tickets still resume */
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_alpn_select_cb(ctx, on_alpn_select, NULL);
        return TAKE_PTR(ctx);
}

struct net_minter *net_minter_new(const struct net_ca *ca)
{
        struct net_minter *m = calloc(1, sizeof(*m));

        if (!m)
                return NULL;
        m->leaf_key = net_key_new();
        if (!m->leaf_key || RAND_bytes((unsigned char *)&m->seed, sizeof(m->seed)) != 1 ||
            EVP_PKEY_up_ref(ca->key) != 1) {
                ERR_clear_error();
                EVP_PKEY_free(m->leaf_key);
                free(m);
                return NULL;
        }
        m->ca_key = ca->key;
        if (X509_up_ref(ca->cert) != 1) {
                m->ca_cert = NULL;
                net_minter_free(m);
                return NULL;
        }
        m->ca_cert = ca->cert;
        return m;
}

SSL_CTX *net_minter_ctx(struct net_minter *m, const char *host, struct al_error *err)
{
        char name[NET_CERT_MAX_NAME + 1];
        struct minter_entry *e;
        time_t now = time(NULL);

        if (host_normalize(host, name) < 0) {
                al_error_setx(err, EINVAL, "'%.*s' is not a host a certificate can be minted for", NET_CERT_MAX_NAME,
                              host);
                return NULL;
        }
        for (e = m->bucket[minter_hash(m, name)]; e; e = e->hnext)
                if (strcmp(e->host, name) == 0)
                        break;
        if (e && now < e->renew_at) {
                lru_unlink(m, e);
                lru_push(m, e);
                SSL_CTX_up_ref(e->ctx);
                return e->ctx;
        }
        if (e)
                entry_drop(m, e);
        SSL_CTX *ctx = server_ctx_new(m, name, err);
        if (!ctx)
                return NULL;
        size_t len = strlen(name);
        e = calloc(1, sizeof(*e) + len + 1);
        if (!e) {
                SSL_CTX_free(ctx);
                al_error_setx(err, ENOMEM, "TLS context for %s", name);
                return NULL;
        }
        if (m->count >= NET_MINTER_MAX)
                entry_drop(m, m->tail);
        memcpy(e->host, name, len + 1);
        e->ctx = ctx;
        e->renew_at = now + (time_t)(NET_MINTER_LEAF_DAYS - 1) * 86400;
        size_t h = minter_hash(m, name);
        e->hnext = m->bucket[h];
        m->bucket[h] = e;
        lru_push(m, e);
        m->count++;
        SSL_CTX_up_ref(ctx);
        return ctx;
}

void net_minter_free(struct net_minter *m)
{
        if (!m)
                return;
        while (m->head)
                entry_drop(m, m->head);
        EVP_PKEY_free(m->leaf_key);
        EVP_PKEY_free(m->ca_key);
        X509_free(m->ca_cert);
        free(m);
}

/* ---- upstream client ---- */

/* Every certificate in a PEM bundle, read through a close-on-exec fd. */
static int store_add_bundle(X509_STORE *st, const char *path, struct al_error *err)
{
        char *p = NULL;
        size_t n = 0, added = 0;
        int r = file_read(AT_FDCWD, path, path, false, false, MAX_BUNDLE, &p, &n, err);

        if (r == -ENOENT)
                return al_error_set(err, ENOENT, "open %s", path);
        if (r < 0)
                return r;
        _cleanup_bio_ BIO *b = BIO_new_mem_buf(p, (int)n);
        STACK_OF(X509_INFO) *infos = b ? PEM_X509_INFO_read_bio(b, NULL, no_password, NULL) : NULL;
        for (int i = 0; infos && i < sk_X509_INFO_num(infos); i++) {
                X509_INFO *xi = sk_X509_INFO_value(infos, i);
                if (xi->x509 && X509_STORE_add_cert(st, xi->x509) == 1)
                        added++;
        }
        sk_X509_INFO_pop_free(infos, X509_INFO_free);
        free(p);
        if (!added)
                return al_error_setx(err, EINVAL, "%s: no certificate in it (%s)", path, ossl_err());
        ERR_clear_error();
        return 0;
}

SSL_CTX *net_tls_client_ctx_new(const char *extra_ca_file, struct al_error *err)
{
        _cleanup_ssl_ctx_ SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

        if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
            SSL_CTX_set_default_verify_paths(ctx) != 1 ||
            SSL_CTX_set_alpn_protos(ctx, alpn_h1, sizeof(alpn_h1) - 1) != 0) { /* 0 is success */
                al_error_setx(err, ENOMEM, "TLS client context: %s", ossl_err());
                return NULL;
        }
        if (extra_ca_file && store_add_bundle(SSL_CTX_get_cert_store(ctx), extra_ca_file, err) < 0)
                return NULL;
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
        return TAKE_PTR(ctx);
}

int net_tls_client_set_host(SSL *ssl, const char *host)
{
        X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
        char name[NET_CERT_MAX_NAME + 1];
        unsigned char ip[16];

        if (host_normalize(host, name) < 0)
                return -EINVAL;
        if (ip_literal(name, ip)) { /* no SNI for an address (RFC 6066) */
                if (X509_VERIFY_PARAM_set1_ip_asc(vp, name) != 1)
                        goto fail;
                return 0;
        }
        X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (SSL_set_tlsext_host_name(ssl, name) != 1 || X509_VERIFY_PARAM_set1_host(vp, name, 0) != 1)
                goto fail;
        return 0;
fail:
        ERR_clear_error();
        return -EINVAL;
}
