/* SPDX-License-Identifier: MIT */
/*
 * Shebang resolution (see script.h). Three emulations, each following
 * its original closely so that the oracle test (the real kernel and the
 * real env(1) in a chroot) agrees:
 *  - sc_shebang: fs/binfmt_script.c load_script() on the zero-padded
 *    256-byte buffer, including its writes of NULs, so a NUL inside the
 *    line ends the name/argument exactly where the kernel's C strings end;
 *  - sc_env: coreutils env.c main() option loop (getopt_long with "+"),
 *    build_argv() for -S, then the NAME=VALUE assignments;
 *  - sc_search: glibc __execvpe: direct for names with '/', else each
 *    PATH element in turn, going on after ENOENT/ENOTDIR/EACCES, stopping
 *    at any other error (ELOOP); PATH unset means "/bin:/usr/bin".
 * Then the kernel's chain of interpreter scripts (exec_binprm's depth
 * limit) and, through env, a fresh execve with a fresh depth.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

#define SC_ENV_ISSPACE " \t\n\v\f\r"    /* env.c C_ISSPACE_CHARS */
#define SC_EXECVP_DEFAULT "/bin:/usr/bin"       /* glibc CS_PATH */
#define SC_MAX_HOPS 16                  /* env -> script -> env ... loops */
#define SC_MAX_ARGS 4096                /* -S tokens: a 256-byte line makes < 128 */

struct sc_argv {
	char **v;
	size_t n, cap;
};

static void sc_argv_free(struct sc_argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* Append a copy of s[0..len) (takes nothing): 0 or -ENOMEM. */
static int sc_argv_push(struct sc_argv *a, const char *s, size_t len)
{
	char *c;

	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 8;
		char **v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	c = strndup(s, len);
	if (!c)
		return -ENOMEM;
	a->v[a->n++] = c;
	return 0;
}

static int sc_fail(struct ocifs_script *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sc_fail(struct ocifs_script *s, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ocifs_scan_verror(&s->error, 0, 512, fmt, ap);
	va_end(ap);
	return rc;
}

static int sc_spacetab(char c)
{
	return c == ' ' || c == '\t';
}

static char *sc_next_non_spacetab(char *first, char *last)
{
	for (; first <= last; first++)
		if (!sc_spacetab(*first))
			return first;
	return NULL;
}

static char *sc_next_terminator(char *first, char *last)
{
	for (; first <= last; first++)
		if (sc_spacetab(*first) || !*first)
			return first;
	return NULL;
}

/*
 * Split the "#!" line in head[0..n) as load_script() does: 0 with
 * *interp and *arg (NULL if none), 1 with *why if the kernel refuses it
 * (ENOEXEC), -ENOMEM.
 */
static int sc_shebang(const unsigned char *head, size_t n, char **interp, char **arg,
		      const char **why)
{
	char buf[OCIFS_SCRIPT_BUF];
	char *buf_end = buf + sizeof(buf) - 1, *i_end, *i_name, *i_sep, *i_arg = NULL;

	*interp = *arg = NULL;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, head, n < sizeof(buf) ? n : sizeof(buf));
	i_end = memchr(buf, '\n', sizeof(buf));
	if (!i_end) {
		i_end = sc_next_non_spacetab(buf + 2, buf_end);
		if (!i_end) {
			*why = "the first 256 bytes are only spaces and tabs";
			return 1;
		}
		if (!sc_next_terminator(i_end, buf_end)) {
			*why = "the interpreter path does not end within the first 256 bytes";
			return 1;
		}
		i_end = buf_end;
	}
	while (sc_spacetab(i_end[-1]))
		i_end--;
	i_name = sc_next_non_spacetab(buf + 2, i_end);
	if (!i_name || i_name == i_end) {
		*why = "no interpreter name after \"#!\"";
		return 1;
	}
	i_sep = sc_next_terminator(i_name, i_end);
	if (i_sep && *i_sep != '\0')
		i_arg = sc_next_non_spacetab(i_sep, i_end);
	*i_end = '\0';
	if (i_arg) {
		*i_sep = '\0';
		if (!(*arg = strdup(i_arg)))
			return -ENOMEM;
	}
	if (!(*interp = strdup(i_name))) {
		free(*arg);
		*arg = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int sc_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* ${NAME} at s (s[0] == '$'): the length of NAME, or 0 if not valid
 * (env.c scan_varname: C-locale letters, digits, '_'). */
static size_t sc_varname(const char *s)
{
	size_t k = 2;

	if (s[1] != '{' || !sc_alpha(s[2]))
		return 0;
	while (sc_alpha(s[k]) || (s[k] >= '0' && s[k] <= '9'))
		k++;
	return s[k] == '}' ? k - 2 : 0;
}

/* One byte onto the current -S token (tok/tlen/tcap). */
static int sc_tok_add(char **tok, size_t *tlen, size_t *tcap, char c)
{
	if (*tlen + 1 >= *tcap) {
		size_t cap = *tcap ? 2 * *tcap : 64;
		char *t = realloc(*tok, cap);

		if (!t)
			return -ENOMEM;
		*tok = t;
		*tcap = cap;
	}
	(*tok)[(*tlen)++] = c;
	return 0;
}

/*
 * env.c build_argv(): split an -S string into out. ${PATH} expands to
 * path (NULL: unset), other variables to nothing (we do not know the
 * image's other variables). 0, 1 with *why (env would exit with that
 * message), -ENOMEM.
 */
static int sc_split(const char *str, const char *path, struct sc_argv *out, const char **why)
{
	char *tok = NULL;
	size_t tlen = 0, tcap = 0;
	int dq = 0, sq = 0, sep = 1, have = 0, rc = 0;

#define START_ARG()                                                              \
	do {                                                                     \
		if (sep && have && (rc = sc_argv_push(out, tok ? tok : "", tlen))) \
			goto out;                                                \
		if (sep)                                                         \
			tlen = 0, have = 1, sep = 0;                             \
	} while (0)
	while (*str) {
		char c = *str;

		switch (*str) {
		case '\'':
			if (dq)
				break;
			sq = !sq;
			START_ARG();
			str++;
			continue;
		case '"':
			if (sq)
				break;
			dq = !dq;
			START_ARG();
			str++;
			continue;
		case ' ': case '\t': case '\n': case '\v': case '\f': case '\r':
			if (sq || dq)
				break;
			sep = 1;
			str += strspn(str, SC_ENV_ISSPACE);
			continue;
		case '#':
			if (!sep)
				break;
			goto eos;
		case '\\':
			if (sq && str[1] != '\\' && str[1] != '\'')
				break;
			c = *++str;
			switch (c) {
			case '"': case '#': case '$': case '\'': case '\\':
				break;
			case '_':
				if (!dq) {
					str++;
					sep = 1;
					continue;
				}
				c = ' ';
				break;
			case 'c':
				if (dq) {
					*why = "'\\c' must not appear in double-quoted -S string";
					rc = 1;
					goto out;
				}
				goto eos;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'v': c = '\v'; break;
			case '\0':
				*why = "invalid backslash at end of string in -S";
				rc = 1;
				goto out;
			default:
				*why = "invalid backslash sequence in -S";
				rc = 1;
				goto out;
			}
			break;
		case '$': {
			size_t nl;

			if (sq)
				break;
			nl = sc_varname(str);
			if (!nl) {
				*why = "only ${VARNAME} expansion is supported in -S";
				rc = 1;
				goto out;
			}
			if (nl == 4 && !memcmp(str + 2, "PATH", 4) && path) {
				START_ARG();
				for (const char *v = path; *v; v++)
					if ((rc = sc_tok_add(&tok, &tlen, &tcap, *v)))
						goto out;
			}
			str += nl + 3;
			continue;
		}
		default:
			break;
		}
		START_ARG();
		if ((rc = sc_tok_add(&tok, &tlen, &tcap, c)))
			goto out;
		str++;
	}
	if (dq || sq) {
		*why = "no terminating quote in -S string";
		rc = 1;
		goto out;
	}
eos:
	if (have)
		rc = sc_argv_push(out, tok ? tok : "", tlen);
	if (!rc && out->n > SC_MAX_ARGS) {
		*why = "too many -S arguments";
		rc = 1;
	}
out:
#undef START_ARG
	free(tok);
	return rc;
}

static const struct {
	const char *name;
	int has_arg;            /* 0 none, 1 required, 2 optional */
	char opt;
} sc_longopts[] = {
	{ "ignore-environment", 0, 'i' }, { "null", 0, '0' }, { "unset", 1, 'u' },
	{ "chdir", 1, 'C' }, { "default-signal", 2, 's' }, { "ignore-signal", 2, 's' },
	{ "block-signal", 2, 's' }, { "list-signal-handling", 0, 's' }, { "debug", 0, 'v' },
	{ "split-string", 1, 'S' }, { "help", 0, 'h' }, { "version", 0, 'V' },
};

/* getopt_long's match: exact name, else a unique prefix. Index or -1. */
static int sc_longopt(const char *name, size_t len)
{
	int hit = -1;

	for (size_t k = 0; k < sizeof(sc_longopts) / sizeof(sc_longopts[0]); k++) {
		if (strncmp(sc_longopts[k].name, name, len))
			continue;
		if (strlen(sc_longopts[k].name) == len)
			return (int)k;
		if (hit >= 0)
			return -2;      /* ambiguous */
		hit = (int)k;
	}
	return hit;
}

/* What env does with one option opt (argument optarg): 0, 1 (*why: env
 * exits), or -ENOMEM. A split (-S) replaces a->v[0..*i] by its tokens. */
struct sc_envstate {
	int cleared, nul, path_unset;
};

static int sc_env_opt(char opt, const char *optarg, struct sc_argv *a, size_t *i,
		      struct sc_envstate *st, const char *path, const char **why)
{
	struct sc_argv split = { 0 };
	int rc;

	switch (opt) {
	case 'i': st->cleared = 1; return 0;
	case '0': st->nul = 1; return 0;
	case 'u': st->path_unset |= strcmp(optarg, "PATH") == 0; return 0;
	case 'C': case 'v': case 's': return 0;
	case 'h': case 'V':
		*why = "env --help/--version prints and exits";
		return 1;
	case 'S':
		if ((rc = sc_split(optarg, path, &split, why)))
			break;
		/* new argv = tokens + the arguments after this one */
		for (size_t k = *i + 1; k < a->n && !rc; k++)
			rc = sc_argv_push(&split, a->v[k], strlen(a->v[k]));
		if (rc)
			break;
		sc_argv_free(a);
		*a = split;
		*i = 0;
		return 2;       /* restart scanning */
	default:
		*why = "env: invalid option";
		return 1;
	}
	sc_argv_free(&split);
	return rc;
}

/*
 * env(1) run by the kernel as `env [ARG] SCRIPT`: the command it executes
 * (*cmd, malloc'd) and the PATH it searches (*path: malloc'd, NULL if
 * unset). 0, 1 with *why (env exits or execs nothing useful), -ENOMEM.
 */
static int sc_env(const char *arg, const char *script, const char *path_env, char **cmd,
		  char **path, const char **why)
{
	struct sc_argv a = { 0 };
	struct sc_envstate st = { 0 };
	const char *pathv = path_env;
	size_t i = 0;
	int rc = 0;

	*cmd = *path = NULL;
	if ((arg && (rc = sc_argv_push(&a, arg, strlen(arg)))) ||
	    (rc = sc_argv_push(&a, script, strlen(script))))
		goto out;
	while (i < a.n) {
		const char *s = a.v[i];

		if (s[0] != '-' || !s[1])
			break;
		if (!strcmp(s, "--")) {
			i++;
			break;
		}
		if (s[1] == '-') {
			const char *eq = strchr(s + 2, '='), *optarg = NULL;
			size_t len = eq ? (size_t)(eq - s - 2) : strlen(s + 2);
			int k = sc_longopt(s + 2, len);

			if (k < 0) {
				*why = k == -2 ? "env: ambiguous option" : "env: unrecognized option";
				rc = 1;
				goto out;
			}
			if (eq && !sc_longopts[k].has_arg) {
				*why = "env: option doesn't allow an argument";
				rc = 1;
				goto out;
			}
			if (eq)
				optarg = eq + 1;
			else if (sc_longopts[k].has_arg == 1) {
				if (i + 1 >= a.n) {
					*why = "env: option requires an argument";
					rc = 1;
					goto out;
				}
				optarg = a.v[++i];
			}
			rc = sc_env_opt(sc_longopts[k].opt, optarg, &a, &i, &st, pathv, why);
			if (rc == 2) {
				rc = 0;
				continue;
			}
			if (rc)
				goto out;
			i++;
			continue;
		}
		for (size_t j = 1; s[j]; j++) {
			char c = s[j];
			const char *optarg = NULL;

			if (strchr(SC_ENV_ISSPACE, c)) {
				*why = "env: invalid option -- ' ' (options in a shebang line need -S)";
				rc = 1;
				goto out;
			}
			if (!strchr("iv0uCS", c)) {
				*why = "env: invalid option";
				rc = 1;
				goto out;
			}
			if (strchr("uCS", c)) {
				if (s[j + 1])
					optarg = s + j + 1;
				else if (i + 1 < a.n)
					optarg = a.v[++i];
				else {
					*why = "env: option requires an argument";
					rc = 1;
					goto out;
				}
			}
			rc = sc_env_opt(c, optarg, &a, &i, &st, pathv, why);
			if (rc == 2)
				break;
			if (rc)
				goto out;
			if (optarg) {
				i++;
				break;
			}
			if (!s[j + 1])
				i++;
		}
		if (rc == 2) {
			rc = 0;
			continue;
		}
	}
	if (i < a.n && !strcmp(a.v[i], "-")) {
		st.cleared = 1;
		i++;
	}
	if (st.cleared || st.path_unset)
		pathv = NULL;
	for (; i < a.n && strchr(a.v[i], '='); i++)
		if (!strncmp(a.v[i], "PATH=", 5))
			pathv = a.v[i] + 5;
	if (i >= a.n) {
		*why = "env has no command (it prints the environment)";
		rc = 1;
	} else if (st.nul) {
		*why = "env: cannot specify --null (-0) with command";
		rc = 1;
	} else if (!strcmp(a.v[i], script)) {
		*why = "env runs the script itself again (exec loop)";
		rc = 1;
	} else if (!(*cmd = strdup(a.v[i])) || (pathv && !(*path = strdup(pathv)))) {
		rc = -ENOMEM;
	}
out:
	if (rc) {
		free(*cmd);
		*cmd = NULL;
	}
	sc_argv_free(&a);
	return rc;
}

/*
 * The file at path (absolute) as execve would find it: 0 with its
 * canonical path (*canon), 1 with *why and *err (the errno execve would
 * give: ENOENT, ENOTDIR, EACCES for directories and non-regular files,
 * ELOOP), -ENOMEM.
 */
static int sc_find(const struct ocifs_tree *t, const char *path, char **canon, int *err,
		   const char **why)
{
	struct ocifs_tree_file f;
	int rc;

	*canon = NULL;
	rc = t->realpath(t->ctx, path, canon);
	if (rc == 0) {
		rc = t->open_file(t->ctx, *canon, &f);
		if (rc == 0) {
			t->close_file(t->ctx, &f);
			return 0;
		}
		free(*canon);
		*canon = NULL;
	}
	switch (rc) {
	case -ENOMEM: return rc;
	case -ELOOP: *err = ELOOP; *why = "too many levels of symbolic links"; break;
	case -EISDIR: *err = EACCES; *why = "is a directory"; break;
	case -EINVAL: *err = EACCES; *why = "is not a regular file"; break;
	case -ENOTDIR: *err = ENOTDIR; *why = "not found (a path component is not a directory)"; break;
	default: *err = ENOENT; *why = "not found"; break;
	}
	return 1;
}

/* glibc execvp's search for cmd (no '/') in path (NULL: unset): 0 with
 * *canon, 1 with *why, -ENOMEM. Relative PATH elements are skipped
 * (*skipped set): they depend on the working directory. */
static int sc_search(const struct ocifs_tree *t, const char *cmd, const char *path, char **canon,
		     int *skipped, const char **why)
{
	const char *p = path ? path : SC_EXECVP_DEFAULT;

	*why = "not found in PATH";
	if (!*cmd)
		return 1;
	for (;;) {
		size_t n = strcspn(p, ":");
		char *cand;
		int rc, err = 0;

		if (n == 0 || p[0] != '/') {
			*skipped = 1;
		} else {
			if (asprintf(&cand, "%.*s/%s", (int)n, p, cmd) < 0)
				return -ENOMEM;
			rc = sc_find(t, cand, canon, &err, why);
			free(cand);
			if (rc <= 0)
				return rc;
			if (err != ENOENT && err != ENOTDIR && err != EACCES)
				return 1;       /* execvp stops here (ELOOP) */
			*why = "not found in PATH";
		}
		if (!p[n])
			return 1;
		p += n + 1;
	}
}

/* The first bytes of the file at canon: 0 with n (< OCIFS_SCRIPT_BUF
 * when the file is shorter), -ENOENT & co, -ENOMEM, the reader's error. */
static int sc_head(const struct ocifs_tree *t, const char *canon, unsigned char *buf, size_t *n)
{
	struct ocifs_tree_file f;
	int rc = t->open_file(t->ctx, canon, &f);

	if (rc)
		return rc;
	*n = f.rd.size < OCIFS_SCRIPT_BUF ? (size_t)f.rd.size : OCIFS_SCRIPT_BUF;
	rc = ocifs_rd_full(&f.rd, buf, *n, 0);
	t->close_file(t->ctx, &f);
	return rc;
}

static int sc_is_env(const char *interp)
{
	const char *b = strrchr(interp, '/');

	return !strcmp(b ? b + 1 : interp, "env");
}

static const char *sc_cr_hint(const char *s)
{
	size_t n = strlen(s);

	return n && s[n - 1] == '\r' ? " (it ends with a carriage return: CRLF line endings)" : "";
}

/*
 * One exec step: resolve interpreter interp (with arg) of the file at
 * self as the kernel and, for env, env(1) would. 0 with *next (the
 * canonical path of what runs) and *via_env, 1 if nothing runs (error
 * set), -ENOMEM. The first step also fills out->program and out->rule.
 */
static int sc_step(struct ocifs_script *out, const struct ocifs_tree *t, const char *path_env,
		   const char *interp, const char *arg, const char *self, int first, char **next,
		   int *via_env)
{
	char *cmd = NULL, *path = NULL, *envcanon = NULL;
	const char *why = NULL, *rule;
	int rc, err, skipped = 0;

	*next = NULL;
	*via_env = 0;
	if (!interp[0]) {
		if (first && !(out->program = strdup(interp)))
			return -ENOMEM;
		return sc_fail(out, "empty interpreter name (the kernel opens the working directory: "
			       "EACCES)") ?: 1;
	}
	if (interp[0] != '/') {
		if (first) {
			out->rule = "relative";
			if (!(out->program = strdup(interp)))
				return -ENOMEM;
		}
		return sc_fail(out, "interpreter \"%s\" is relative: the kernel resolves it against "
			       "the working directory", interp) ?: 1;
	}
	rc = sc_find(t, interp, &envcanon, &err, &why);
	if (rc < 0)
		return rc;
	if (rc) {
		if (first && !(out->program = strdup(interp)))
			return -ENOMEM;
		return sc_fail(out, "interpreter %s: %s%s", interp, why, sc_cr_hint(interp)) ?: 1;
	}
	if (!sc_is_env(interp)) {
		if (first && !(out->program = strdup(interp))) {
			free(envcanon);
			return -ENOMEM;
		}
		if (first)
			out->rule = "absolute";
		*next = envcanon;
		return 0;
	}
	free(envcanon);
	*via_env = 1;
	rc = sc_env(arg, self, path_env, &cmd, &path, &why);
	if (rc)
		return rc < 0 ? rc : (sc_fail(out, "%s%s", strncmp(why, "env", 3) ? "env: " : "", why) ?: 1);
	if (first && !(out->program = strdup(cmd))) {
		rc = -ENOMEM;
		goto out;
	}
	if (cmd[0] == '/') {
		rule = "absolute";
		rc = sc_find(t, cmd, next, &err, &why);
	} else if (strchr(cmd, '/')) {
		rule = "relative";
		why = "is relative: execvp resolves it against the working directory";
		rc = 1;
	} else {
		rule = "env PATH";
		rc = sc_search(t, cmd, path, next, &skipped, &why);
	}
	if (first)
		out->rule = rule;
	if (rc > 0)
		rc = sc_fail(out, "env: \"%s\" %s%s%s", cmd, why, sc_cr_hint(cmd),
			     strpbrk(cmd, SC_ENV_ISSPACE) && !sc_cr_hint(cmd)[0]
			     ? " (options in a shebang line need env -S)" : "") ?: 1;
out:
	free(cmd);
	free(path);
	return rc;
}

int ocifs_script_analyze(const struct ocifs_rd *rd, const struct ocifs_tree *t, const char *path_env,
			 struct ocifs_script *out)
{
	unsigned char head[OCIFS_SCRIPT_BUF];
	const char *self = rd->name ? rd->name : "", *why = NULL;
	char *interp = NULL, *arg = NULL, *cur = NULL, *next = NULL;
	size_t n = rd->size < sizeof(head) ? (size_t)rd->size : sizeof(head);
	int rc, via_env, kdepth = 1;

	memset(out, 0, sizeof(*out));
	out->rule = "not found";
	if (!path_env)
		path_env = OCIFS_DEFAULT_PATH;
	if (n < 2)
		return -EINVAL;
	rc = ocifs_rd_full(rd, head, n, 0);
	if (rc)
		return rc == -EIO ? -EINVAL : rc;
	if (head[0] != '#' || head[1] != '!')
		return -EINVAL;
	rc = sc_shebang(head, n, &out->interp, &out->arg, &why);
	if (rc)
		return rc < 0 ? rc : sc_fail(out, "the kernel refuses the \"#!\" line: %s", why);
	rc = sc_step(out, t, path_env, out->interp, out->arg, self, 1, &cur, &via_env);
	if (via_env)
		kdepth = 0;     /* env's execvp: a fresh execve */
	for (int hops = 0; rc == 0; hops++) {
		if (hops >= SC_MAX_HOPS) {
			rc = sc_fail(out, "interpreter loop (more than %d execs)", SC_MAX_HOPS) ?: 1;
			break;
		}
		rc = sc_head(t, cur, head, &n);
		if (rc) {
			rc = rc == -ENOMEM ? rc : (sc_fail(out, "%s: cannot read: %s", cur, strerror(-rc)) ?: 1);
			break;
		}
		if (n >= 4 && !memcmp(head, "\x7f" "ELF", 4))
			break;  /* what runs */
		if (n < 2 || head[0] != '#' || head[1] != '!') {
			rc = sc_fail(out, "%s is neither ELF nor a script (execve fails with ENOEXEC%s)",
				     cur, kdepth == 0 ? "; execvp then runs it with /bin/sh" : "") ?: 1;
			break;
		}
		if (kdepth >= OCIFS_SCRIPT_MAX_NEST + 1) {
			rc = sc_fail(out, "%s: more than %d nested interpreter scripts (the kernel "
				     "fails with ELOOP)", cur, OCIFS_SCRIPT_MAX_NEST) ?: 1;
			break;
		}
		rc = sc_shebang(head, n, &interp, &arg, &why);
		if (rc) {
			rc = rc < 0 ? rc : (sc_fail(out, "%s: the kernel refuses its \"#!\" line: %s",
						    cur, why) ?: 1);
			break;
		}
		out->depth++;
		rc = sc_step(out, t, path_env, interp, arg, cur, 0, &next, &via_env);
		kdepth = via_env ? 0 : kdepth + 1;
		free(interp);
		free(arg);
		interp = arg = NULL;
		free(cur);
		cur = next;
		next = NULL;
	}
	if (rc == 0) {
		out->resolved = cur;
		cur = NULL;
	} else if (strcmp(out->rule, "relative") != 0) {
		out->rule = "not found";
	}
	free(cur);
	return rc < 0 ? rc : 0;
}

void ocifs_script_fini(struct ocifs_script *s)
{
	free(s->interp);
	free(s->arg);
	free(s->program);
	free(s->resolved);
	free(s->error);
	memset(s, 0, sizeof(*s));
}
