/* SPDX-License-Identifier: MIT */
/*
 * `ocifs sbom IMAGE [--format cyclonedx|spdx|table] [-o FILE]`: the
 * /.sbom document without mounting (the same bytes as
 * /.ocifs/sbom.cdx.json, or the SPDX document or table derived from
 * it), to stdout or FILE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "sbom.h"
#include "trace.h"

static const struct {
	const char *name;
	/* derive the output from the CycloneDX bytes; NULL: them */
	int (*derive)(const char *cdx, size_t len, char **out, size_t *out_len);
} formats[] = {
	{ "cyclonedx", NULL },
	{ "spdx", ocifs_sbom_spdx },
	{ "table", ocifs_sbom_table },
};

/* Write all of buf to path (created 0644, truncated). */
static int write_file(const char *path, const char *buf, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644), rc = 0;

	if (fd < 0) {
		rc = -errno;
		log_err("sbom: %s: %s", path, strerror(-rc));
		return rc;
	}
	rc = cli_write_all(fd, buf, n);
	if (close(fd) && !rc)
		rc = -errno;
	if (rc)
		log_err("sbom: %s: write error: %s", path, strerror(-rc));
	return rc;
}

int cmd_sbom(struct cli *c)
{
	const char *fmt = c->format ? c->format : "cyclonedx";
	struct ocifs_session_opts so = cli_session_opts(c);
	struct ocifs_session *s;
	char *cdx = NULL, *out = NULL;
	size_t len = 0, olen = 0, f;
	int rc;

	for (f = 0; f < sizeof(formats) / sizeof(formats[0]); f++)
		if (!strcmp(fmt, formats[f].name))
			break;
	if (f == sizeof(formats) / sizeof(formats[0])) {
		log_err("sbom: unknown format \"%s\" (cyclonedx, spdx or table)", fmt);
		return OCIFS_EXIT_USAGE;
	}
	if ((rc = ocifs_session_open(c->args[0], &so, &s)))
		return rc;
	struct ocifs_sbom_opts o = { .cache_dir = s->cache_dir };
	rc = ocifs_sbom_cdx(s->img, s->view, &o, &cdx, &len, NULL);
	if (!rc && formats[f].derive) {
		ocifs_span sp = ocifs_trace_begin("write document", 0);
		ocifs_trace_str(sp, "ocifs.document", formats[f].name);
		if ((rc = formats[f].derive(cdx, len, &out, &olen)) == -EBADMSG)
			log_err("%s: the SBOM document is not valid CycloneDX", c->args[0]);
		if (rc) {
			ocifs_trace_error(sp, strerror(-rc));
		} else {
			ocifs_trace_int(sp, "ocifs.bytes", (int64_t)olen);
			ocifs_trace_str(sp, "ocifs.source", "derived");
		}
		ocifs_trace_end(sp);
	}
	if (!rc && !out) {
		out = cdx;
		olen = len;
		cdx = NULL;
	}
	if (!rc)
		rc = c->output ? write_file(c->output, out, olen) : cli_write_stdout(out, olen);
	free(cdx);
	free(out);
	ocifs_session_close(s);
	return rc;
}
