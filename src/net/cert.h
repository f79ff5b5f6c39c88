/* SPDX-License-Identifier: Apache-2.0 */
/* A per-installation certificate authority, certificates minted from it on
 * the fly, and the TLS contexts built on them: the egress proxy terminates a
 * sandbox's TLS toward a secret's host with a minted certificate and dials the
 * real host with a verifying client context; airlockd's HTTPS ingress mints
 * its own certificates from the same code. Single-threaded: one event loop
 * owns each minter. */
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

#define NET_CERT_MAX_NAME 253         /* a DNS name, without a trailing dot */
#define NET_CERT_MAX_NAMES 16         /* subject alternative names in one certificate */
#define NET_CERT_MAX_DAYS 3650        /* longest leaf validity accepted by net_cert_mint */
#define NET_CA_DAYS 3650              /* CA validity */
#define NET_CA_MAX_FILE (64u * 1024u) /* ca.key / ca.crt read at most this much */
#define NET_MINTER_MAX 1024           /* server contexts cached by one minter, least recently used out */
#define NET_MINTER_LEAF_DAYS 7        /* validity of a minted leaf; re-minted a day before it ends */

struct net_ca {
        EVP_PKEY *key;
        X509 *cert;
};

/* Load <dir>/ca.key and <dir>/ca.crt, or create both when neither exists
 * (and dir itself, mode 0700, when missing). ca.key (mode 0400) holds the
 * private key followed by the certificate: it is the one file whose rename
 * commits a new CA, so a crash leaves either no CA or a whole one; ca.crt is
 * the public copy for whoever must trust the CA, re-exported from ca.key
 * when missing. A corrupt, mismatched, expired or group/other-readable CA is
 * an error that names the file, never a reason to regenerate. New files go to
 * owner when owner != (uid_t)-1. *ca is written only on success. */
int net_ca_load_or_create(struct net_ca *ca, const char *dir, const char *common_name, uid_t owner,
                          struct al_error *err);
/* Load the one certificate in a PEM file (for readers that only need ca.crt). */
int net_ca_load_cert(const char *path, X509 **ret, struct al_error *err);
void net_ca_release(struct net_ca *ca);

/* A new P-256 key, or NULL when out of memory. */
EVP_PKEY *net_key_new(void);
/* True for a name net_cert_mint accepts: a DNS name (letters, digits, '-',
 * '_', labels of 1..63, no trailing dot), optionally "*." + a name of two
 * labels or more, or an IPv4/IPv6 literal. */
bool net_cert_name_valid(const char *name);
/* A leaf for leaf_key signed by ca: SANs for names (DNS, or IP for literals),
 * CN = names[0] when it fits, 128-bit random serial, valid from an hour ago
 * for days, serverAuth only. */
int net_cert_mint(const struct net_ca *ca, EVP_PKEY *leaf_key, const char *const *names, size_t n, unsigned days,
                  X509 **ret, struct al_error *err);

/* Server contexts per host name, minted on first use and cached. */
struct net_minter;

/* Takes its own references on ca's key and cert. NULL when out of memory. */
struct net_minter *net_minter_new(const struct net_ca *ca);
/* A server context (TLS 1.2+, ALPN http/1.1 only, chain leaf + CA) for host,
 * a name or an IP literal, case and a trailing dot ignored. Returns a new
 * reference (SSL_CTX_free it) or NULL with err filled. */
SSL_CTX *net_minter_ctx(struct net_minter *m, const char *host, struct al_error *err);
void net_minter_free(struct net_minter *m);

/* A client context verifying peers against the system store plus
 * extra_ca_file (PEM, nullable); TLS 1.2+, ALPN http/1.1. */
SSL_CTX *net_tls_client_ctx_new(const char *extra_ca_file, struct al_error *err);
/* Bind ssl to host before the handshake: SNI and a hostname check for a
 * name, an address check (and no SNI) for an IP literal. 0 or -EINVAL. */
int net_tls_client_set_host(SSL *ssl, const char *host);
