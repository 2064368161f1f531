// OpenSSL's PKCS#12 support, for the `.p12` service-account keys of the Google plugins.
// The helper is inline C because the BIO calls it needs are macros Swift cannot import.
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>

/// Reads a PKCS#12 file's bytes with `password` and returns its private key as PKCS#8 PEM in a
/// malloc'ed buffer (`*pem`, `*pem_len`; free it with `free`). Returns 0 on success, 1 when the
/// data is not PKCS#12, 2 when the password is wrong or the file cannot be decrypted, 3 when it
/// holds no private key, 4 when the key cannot be written.
/// Google's `.p12` keys use RC2 and 3DES, which OpenSSL 3 keeps in its "legacy" provider: it is
/// loaded (with "default") once, if installed.
static inline int sluice_pkcs12_private_key_pem(const unsigned char *data, int len, const char *password,
                                                char **pem, size_t *pem_len) {
    static int providers_loaded = 0;
    if (!providers_loaded) {
        providers_loaded = 1;
        OSSL_PROVIDER_load(NULL, "default");
        OSSL_PROVIDER_load(NULL, "legacy");
    }
    *pem = NULL;
    *pem_len = 0;
    const unsigned char *p = data;
    PKCS12 *p12 = d2i_PKCS12(NULL, &p, len);
    if (p12 == NULL) { ERR_clear_error(); return 1; }
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *ca = NULL;
    int ok = PKCS12_parse(p12, password, &key, &cert, &ca);
    PKCS12_free(p12);
    if (cert) X509_free(cert);
    if (ca) sk_X509_pop_free(ca, X509_free);
    if (!ok) { ERR_clear_error(); if (key) EVP_PKEY_free(key); return 2; }
    if (key == NULL) return 3;
    BIO *out = BIO_new(BIO_s_mem());
    int rc = 4;
    if (out && PEM_write_bio_PKCS8PrivateKey(out, key, NULL, NULL, 0, NULL, NULL)) {
        char *bytes = NULL;
        long n = BIO_get_mem_data(out, &bytes);
        if (n > 0 && (*pem = malloc((size_t)n)) != NULL) {
            memcpy(*pem, bytes, (size_t)n);
            *pem_len = (size_t)n;
            rc = 0;
        }
    }
    if (out) BIO_free(out);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return rc;
}
