#ifndef SLUICE_CCURL_SHIM_H
#define SLUICE_CCURL_SHIM_H
#include <curl/curl.h>

// curl_easy_setopt, curl_easy_getinfo and curl_multi_setopt are variadic, which Swift cannot
// call. These typed wrappers are the only way SluiceHTTP passes options to libcurl.

/// Write, header and read callbacks share this signature.
typedef size_t (*sluice_curl_data_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);

static inline CURLcode sluice_curl_easy_setopt_long(CURL *h, CURLoption o, long v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode sluice_curl_easy_setopt_off_t(CURL *h, CURLoption o, curl_off_t v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode sluice_curl_easy_setopt_pointer(CURL *h, CURLoption o, void *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode sluice_curl_easy_setopt_string(CURL *h, CURLoption o, const char *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode sluice_curl_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode sluice_curl_easy_setopt_blob(CURL *h, CURLoption o, struct curl_blob *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode sluice_curl_easy_setopt_callback(CURL *h, CURLoption o, sluice_curl_data_callback v) {
    return curl_easy_setopt(h, o, v);
}

/// CURLOPT_XFERINFOFUNCTION's signature: non-zero aborts the transfer.
typedef int (*sluice_curl_xferinfo_callback)(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
                                             curl_off_t ultotal, curl_off_t ulnow);
static inline CURLcode sluice_curl_easy_setopt_xferinfo(CURL *h, sluice_curl_xferinfo_callback v) {
    return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, v);
}

static inline CURLcode sluice_curl_easy_getinfo_long(CURL *h, CURLINFO i, long *v) {
    return curl_easy_getinfo(h, i, v);
}
static inline CURLcode sluice_curl_easy_getinfo_double(CURL *h, CURLINFO i, double *v) {
    return curl_easy_getinfo(h, i, v);
}
static inline CURLcode sluice_curl_easy_getinfo_string(CURL *h, CURLINFO i, char **v) {
    return curl_easy_getinfo(h, i, v);
}

static inline CURLMcode sluice_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) {
    return curl_multi_setopt(m, o, v);
}

#endif
