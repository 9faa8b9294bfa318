/* SPDX-License-Identifier: MIT */
/*
 * libcurl, loaded when the first registry is opened (dlopen of the
 * soname configure found) rather than linked: it brings some thirty
 * libraries (Kerberos, LDAP, SSH, IDN, nghttp2...) whose loading cost
 * every ocifs command about 4 ms of CPU before main(), registry or not.
 * curl.h gives the types; registry_priv.h points the curl_* names the
 * registry files call at the functions resolved here.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "registry_priv.h"

#ifndef OCIFS_LIBCURL_SONAME
#define OCIFS_LIBCURL_SONAME "libcurl.so.4"
#endif

struct reg_curl_api reg_curl;

#define REG_CURL_NAME(f) #f,
static const char *const reg_curl_names[] = { REG_CURL_FUNCS(REG_CURL_NAME) };
static pthread_once_t reg_curl_once = PTHREAD_ONCE_INIT;
static char reg_curl_error[256]; /* empty once loaded and initialized */

/* dlopen libcurl, fill reg_curl and curl_global_init (once; the handle
 * stays open for the life of the process). */
static void reg_curl_load(void)
{
	/* its files read ahead, at once, while the loader walks them */
	void *warm = reg_warm_start(OCIFS_LIBCURL_SONAME);
	void *h = dlopen(OCIFS_LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL), **slot = (void **)&reg_curl;
	const char *e;

	reg_warm_join(warm);

	_Static_assert(sizeof(reg_curl) == sizeof(reg_curl_names) / sizeof(reg_curl_names[0]) *
						     sizeof(void *),
		       "one pointer per name");
	if (!h) {
		e = dlerror();
		snprintf(reg_curl_error, sizeof(reg_curl_error), "%s", e ? e : OCIFS_LIBCURL_SONAME);
		return;
	}
	for (size_t i = 0; i < sizeof(reg_curl_names) / sizeof(reg_curl_names[0]); i++) {
		void *f = dlsym(h, reg_curl_names[i]);

		if (!f) {
			snprintf(reg_curl_error, sizeof(reg_curl_error), "%s: no %s",
				 OCIFS_LIBCURL_SONAME, reg_curl_names[i]);
			memset(&reg_curl, 0, sizeof(reg_curl));
			return;
		}
		memcpy(&slot[i], &f, sizeof(f));
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(reg_curl_error, sizeof(reg_curl_error), "curl_global_init failed");
		memset(&reg_curl, 0, sizeof(reg_curl));
	}
}

int ocifs_registry_global_init(void)
{
	pthread_once(&reg_curl_once, reg_curl_load);
	if (!reg_curl_error[0])
		return 0;
	log_err("registries (docker://) need libcurl, which cannot be loaded (%s): "
		"install it (Debian: apt-get install libcurl4)", reg_curl_error);
	return -ENOTSUP;
}
