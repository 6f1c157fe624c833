/* config.c: the config file, ~/.sendxmpprc and the password sources. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xt.h"
#include "tap.h"

static char dir[] = "/tmp/xt-config-XXXXXX";

static const char *
put_file(const char *name, const char *text, mode_t mode)
{
	static char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	fchmod(fd, mode);
	close(fd);
	return path;
}

static void
test_file(void)
{
	struct xt_config c = { 0 };
	struct xt_error e = { 0, "" };
	const char *p;

	p = put_file("c1", "# comment\n\njid = alice@example.org\n"
	    "server = 127.0.0.1:5222\n  cafile=/dev/null  \ndirect_tls = yes\n"
	    "mechanisms = SCRAM-SHA-1\npin = sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nresource = r1\n"
	    "password_file = /dev/null\npassword_command = pass show x\n", 0644);
	is_int(xt_config_load(&c, p, &e), XT_OK, "config file loads");
	is_str(c.jid, "alice@example.org", "jid");
	is_str(c.server, "127.0.0.1:5222", "server");
	is_str(c.cafile, "/dev/null", "value trimmed");
	is_int(c.direct_tls, 1, "direct_tls yes");
	is_str(c.mechanisms, "SCRAM-SHA-1", "mechanisms");
	is_str(c.pin, "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "pin");
	is_str(c.resource, "r1", "resource");
	is_str(c.password_file, "/dev/null", "password_file");
	is_str(c.password_command, "pass show x", "password_command");
	xt_config_clear(&c);

	/* An option set before loading wins over the file. */
	is_int(xt_config_set(&c, "server", "other:1", &e), XT_OK,
	    "option set");
	is_int(xt_config_set(&c, "password-file", "/dev/zero", &e), XT_OK,
	    "option names with '-' map to keys");
	is_int(xt_config_load(&c, p, &e), XT_OK, "file after options");
	is_str(c.server, "other:1", "option beats the file");
	is_str(c.password_file, "/dev/zero", "option beats the file (2)");
	is_int(xt_config_set(&c, "cafile", "/nonexistent/ca", &e), XT_EINVAL,
	    "an unreadable cafile is refused at once");
	ok(strstr(e.msg, "/nonexistent/ca: No such file") != NULL,
	    "naming it: %s", e.msg);
	is_int(xt_config_set(&c, "pin", "sha256:AAAA", &e), XT_EINVAL,
	    "a pin of the wrong length");
	xt_config_clear(&c);

	is_int(xt_config_set(&c, "colour", "red", &e), XT_EINVAL,
	    "unknown setting refused");

	/* A value the option replaces is not judged. */
	is_int(xt_config_set(&c, "cafile", "/dev/null", &e), XT_OK, "option");
	p = put_file("c6", "cafile = /nonexistent/stale.pem\n", 0644);
	is_int(xt_config_load(&c, p, &e), XT_OK,
	    "a stale cafile in the file does not matter under --cafile");
	xt_config_clear(&c);
	is_int(xt_config_load(&c, p, &e), XT_EINVAL,
	    "but is refused when it would be used");
	ok(strstr(e.msg, "c6:1: /nonexistent/stale.pem: No such file") != NULL,
	    "naming file, line and path: %s", e.msg);
	xt_config_clear(&c);

	p = put_file("c2", "jid = a@b\nfoo = bar\n", 0644);
	is_int(xt_config_load(&c, p, &e), XT_EINVAL, "unknown key refused");
	ok(strstr(e.msg, "c2:2: unknown key 'foo'") != NULL,
	    "message names file, line and key: %s", e.msg);
	xt_config_clear(&c);

	p = put_file("c7", "password_command = rm -rf ~\n", 0664);
	is_int(xt_config_load(&c, p, &e), XT_EPERM,
	    "a config file others can write is refused");
	ok(strstr(e.msg, "c7: writable by others (mode 664)") != NULL,
	    "message: %s", e.msg);
	xt_config_clear(&c);

	p = put_file("c3", "jid alice@b\n", 0644);
	is_int(xt_config_load(&c, p, &e), XT_EINVAL, "line without '='");
	ok(strstr(e.msg, "c3:1:") != NULL, "names the line: %s", e.msg);
	xt_config_clear(&c);

	p = put_file("c4", "direct_tls = maybe\n", 0644);
	is_int(xt_config_load(&c, p, &e), XT_EINVAL, "direct_tls maybe");
	ok(strstr(e.msg, "c4:1: direct_tls is yes or no, not 'maybe'") !=
	    NULL, "message: %s", e.msg);
	xt_config_clear(&c);

	p = put_file("c5", "password-file = x\n", 0644);
	is_int(xt_config_load(&c, p, &e), XT_EINVAL,
	    "option spelling is not a config key");
	xt_config_clear(&c);

	is_int(xt_config_load(&c, "/nonexistent/xt/config", &e), XT_EINVAL,
	    "a named config file that is missing is an error");
	xt_config_clear(&c);
}

static void
test_sendxmpprc(void)
{
	struct xt_config c = { 0 };
	struct xt_error e = { 0, "" };
	char *pw = NULL;

	setenv("HOME", dir, 1);
	setenv("XDG_CONFIG_HOME", "/nonexistent-xdg", 1);
	unsetenv("XMPP_JID");
	unsetenv("XMPP_PASSWORD");
	put_file(".sendxmpprc", "username: bob@example.org\n"
	    "password: s3cret pass\njserver: xmpp.example.org\nport: 5223\n"
	    "alias: x\n", 0600);
	is_int(xt_config_load(&c, NULL, &e), XT_OK, "go-sendxmpp rc");
	is_str(c.jid, "bob@example.org", "username");
	is_str(c.server, "xmpp.example.org:5223", "jserver and port");
	is_int(xt_config_password(&c, &pw, &e), XT_OK, "password from rc");
	is_str(pw, "s3cret pass", "password with a space");
	xt_free_secret(pw);
	xt_config_clear(&c);

	put_file(".sendxmpprc", "carol@example.net:5333 hunter2\n", 0600);
	is_int(xt_config_load(&c, NULL, &e), XT_OK, "sendxmpp one-line rc");
	is_str(c.jid, "carol@example.net", "jid from the line");
	is_str(c.server, "example.net:5333", "port from the line");
	is_int(xt_config_password(&c, &pw, &e), XT_OK, "its password");
	is_str(pw, "hunter2", "password");
	xt_free_secret(pw);
	xt_config_clear(&c);

	put_file(".sendxmpprc", "username: d@e\neval_password: echo pw-cmd\n",
	    0600);
	is_int(xt_config_load(&c, NULL, &e), XT_OK, "eval_password");
	is_int(xt_config_password(&c, &pw, &e), XT_OK, "command runs");
	is_str(pw, "pw-cmd", "command output, first line");
	xt_free_secret(pw);
	xt_config_clear(&c);

	put_file(".sendxmpprc", "username: erin\njserver: example.com\n"
	    "component: gmail.com\nnote: ops@example.com\npassword:\n",
	    0600);
	is_int(xt_config_load(&c, NULL, &e), XT_OK,
	    "sendxmpp rc with a localpart username and an unknown key");
	is_str(c.jid, "erin@example.com", "username @ jserver");
	ok(c.password == NULL, "an empty password: line is no password");
	xt_config_clear(&c);

	put_file(".sendxmpprc", "username: g@h\njserver: ::1\nport: 5333\n",
	    0600);
	is_int(xt_config_load(&c, NULL, &e), XT_OK, "IPv6 jserver");
	is_str(c.server, "[::1]:5333", "bracketed before the port");
	xt_config_clear(&c);

	put_file(".sendxmpprc", "frank@example.com;talk.example.com pw comp\n",
	    0600);
	is_int(xt_config_load(&c, NULL, &e), XT_OK, "user@host;connhost");
	is_str(c.jid, "frank@example.com", "the jid");
	is_str(c.server, "talk.example.com", "the connect host");
	is_int(xt_config_password(&c, &pw, &e), XT_OK, "password");
	is_str(pw, "pw", "without the component name");
	xt_free_secret(pw);
	xt_config_clear(&c);

	xt_config_set(&c, "jid", "opt@example.org", &e);
	is_int(xt_config_load(&c, NULL, &e), XT_OK, "with an account option");
	ok(c.password == NULL && c.server == NULL,
	    "sendxmpprc is not read for another account");
	xt_config_clear(&c);

	put_file(".sendxmpprc", "username: d@e\npassword: x\n", 0644);
	is_int(xt_config_load(&c, NULL, &e), XT_EPERM,
	    "world-readable sendxmpprc refused");
	ok(strstr(e.msg, ".sendxmpprc: readable by others") != NULL,
	    "says why: %s", e.msg);
	xt_config_clear(&c);

	put_file(".sendxmpprc", "username: rc@example.org\npassword: rcpw\n",
	    0600);
	is_int(xt_config_load(&c, NULL, &e), XT_OK, "rc with a password");
	is_int(xt_config_account(&c, "other@example.org", &e), XT_OK,
	    "another account chosen after loading");
	ok(c.password == NULL, "the rc password does not follow it");
	xt_config_clear(&c);
	is_int(xt_config_load(&c, NULL, &e), XT_OK, "rc again");
	is_int(xt_config_account(&c, "RC@example.org", &e), XT_OK,
	    "the same account, spelled otherwise");
	ok(c.password != NULL, "keeps its password");
	xt_config_clear(&c);

	setenv("XMPP_JID", "env@example.org", 1);
	is_int(xt_config_load(&c, NULL, &e), XT_OK,
	    "sendxmpprc not read when $XMPP_JID is set");
	ok(c.jid == NULL, "nothing taken from it");
	xt_config_clear(&c);
	unsetenv("XMPP_JID");
	unlink(put_file(".sendxmpprc", "", 0600));
}

/* go-sendxmpp's own files, looked for in its order before ~/.sendxmpprc. */
static void
test_gosendxmpp(void)
{
	struct xt_config c = { 0 };
	struct xt_error e = { 0, "" };
	char want[600], src[XT_ERRLEN], *pw = NULL;

	setenv("HOME", dir, 1);
	unsetenv("XMPP_JID");
	unsetenv("XMPP_PASSWORD");
	snprintf(want, sizeof(want), "%s/gs", dir);
	mkdir(want, 0700);
	snprintf(want, sizeof(want), "%s/gs/go-sendxmpp", dir);
	mkdir(want, 0700);
	snprintf(want, sizeof(want), "%s/gs", dir);
	setenv("XDG_CONFIG_HOME", want, 1);
	put_file(".sendxmpprc", "username: home@example.org\n", 0600);
	put_file("gs/go-sendxmpp/sendxmpprc", "username: old@example.org\n"
	    "eval_password: echo from-eval\n", 0600);
	is_int(xt_config_load(&c, NULL, &e), XT_OK,
	    "go-sendxmpp/sendxmpprc loads");
	is_str(c.jid, "old@example.org", "it comes before ~/.sendxmpprc");
	is_str(c.password_command, "echo from-eval",
	    "eval_password is a password_command");
	is_int(xt_config_password(&c, &pw, &e), XT_OK, "which runs");
	is_str(pw, "from-eval", "and gives the password");
	xt_free_secret(pw);
	snprintf(want, sizeof(want), "eval_password in %s/gs/go-sendxmpp/"
	    "sendxmpprc", dir);
	is_str(xt_config_password_source(&c, src, sizeof(src)), want,
	    "the source is named as go-sendxmpp's key");
	xt_config_clear(&c);

	put_file("gs/go-sendxmpp/config", "username: new@example.org\n"
	    "password: pw\n", 0600);
	is_int(xt_config_load(&c, NULL, &e), XT_OK, "go-sendxmpp/config loads");
	is_str(c.jid, "new@example.org", "before go-sendxmpp/sendxmpprc");
	snprintf(want, sizeof(want), "password in %s/gs/go-sendxmpp/config",
	    dir);
	is_str(xt_config_password_source(&c, src, sizeof(src)), want,
	    "a password in it is named by the file");
	xt_config_clear(&c);

	put_file("gs/go-sendxmpp/config", "username: new@example.org\n"
	    "password: pw\n", 0644);
	is_int(xt_config_load(&c, NULL, &e), XT_EPERM,
	    "a go-sendxmpp config others can read is refused");
	ok(strstr(e.msg, "go-sendxmpp/config: readable by others (mode 644)")
	    != NULL, "says why: %s", e.msg);
	xt_config_clear(&c);

	/* A relative $XDG_CONFIG_HOME is ignored (XDG Base Directory). */
	setenv("XDG_CONFIG_HOME", "gs", 1);
	is_int(xt_config_load(&c, NULL, &e), XT_OK, "relative XDG_CONFIG_HOME");
	is_str(c.jid, "home@example.org", "is ignored: ~/.config has none, "
	    "so ~/.sendxmpprc");
	xt_config_clear(&c);
	snprintf(want, sizeof(want), "%s/.config", dir);
	mkdir(want, 0700);
	snprintf(want, sizeof(want), "%s/.config/go-sendxmpp", dir);
	mkdir(want, 0700);
	put_file(".config/go-sendxmpp/config", "username: dot@example.org\n",
	    0600);
	unsetenv("XDG_CONFIG_HOME");
	is_int(xt_config_load(&c, NULL, &e), XT_OK, "no XDG_CONFIG_HOME");
	is_str(c.jid, "dot@example.org", "~/.config/go-sendxmpp/config");
	xt_config_clear(&c);

	/* An xmpp-tools config file is read instead of all of these. */
	snprintf(want, sizeof(want), "%s/.config/xmpp-tools", dir);
	mkdir(want, 0700);
	put_file(".config/xmpp-tools/config", "jid = own@example.org\n", 0644);
	is_int(xt_config_load(&c, NULL, &e), XT_OK, "xmpp-tools config");
	is_str(c.jid, "own@example.org", "comes first");
	ok(!c.sendxmpprc, "and is not a sendxmpprc");
	xt_config_clear(&c);
	snprintf(want, sizeof(want), "rm -rf '%s/.config' '%s/gs' "
	    "'%s/.sendxmpprc'", dir, dir, dir);
	if (system(want) != 0)
		ok(0, "cleanup");
	setenv("XDG_CONFIG_HOME", "/nonexistent-xdg", 1);
}

/* Where the password comes from, named after a failed login. */
static void
test_source(void)
{
	struct xt_config c = { 0 };
	struct xt_error e = { 0, "" };
	char src[XT_ERRLEN], want[600];
	const char *p;

	unsetenv("XMPP_PASSWORD");
	p = put_file("pwf", "x\n", 0600);
	is_int(xt_config_set(&c, "password-file", p, &e), XT_OK, "option");
	snprintf(want, sizeof(want), "--password-file %s", p);
	is_str(xt_config_password_source(&c, src, sizeof(src)), want,
	    "--password-file F");
	xt_config_clear(&c);
	p = put_file("cfg-pwf", "", 0644);
	snprintf(want, sizeof(want), "password_file = %s/pwf\n"
	    "password_command = echo x\n", dir);
	p = put_file("cfg-pwf", want, 0644);
	is_int(xt_config_load(&c, p, &e), XT_OK, "config with password_file");
	snprintf(want, sizeof(want), "password_file in %s", p);
	is_str(xt_config_password_source(&c, src, sizeof(src)), want,
	    "password_file in FILE (before password_command)");
	free(c.password_file);
	c.password_file = NULL;
	snprintf(want, sizeof(want), "password_command in %s", p);
	is_str(xt_config_password_source(&c, src, sizeof(src)), want,
	    "password_command in FILE");
	xt_config_clear(&c);
	setenv("XMPP_PASSWORD", "envpw", 1);
	is_str(xt_config_password_source(&c, src, sizeof(src)),
	    "$XMPP_PASSWORD", "$XMPP_PASSWORD");
	setenv("XMPP_PASSWORD", "", 1);
	is_str(xt_config_password_source(&c, src, sizeof(src)),
	    "the terminal", "else the terminal");
}

/* A file an option names: its error names the option. */
static void
test_option_errors(void)
{
	struct xt_config c = { 0 };
	struct xt_error e = { 0, "" };
	const char *p;

	is_int(xt_config_set(&c, "password-file", "/nope", &e), XT_EINVAL,
	    "missing --password-file");
	is_str(e.msg, "--password-file: /nope: No such file or directory",
	    "names the option");
	is_int(xt_config_set(&c, "cafile", "/nope", &e), XT_EINVAL,
	    "missing --cafile");
	is_str(e.msg, "--cafile: /nope: No such file or directory",
	    "names the option");
	is_int(xt_config_set(&c, "pin", "sha256:AA", &e), XT_EINVAL, "--pin");
	is_str(e.msg, "--pin must be sha256: and the base64 of 32 bytes",
	    "names the option");
	xt_error_set(&e, XT_EINVAL, "/a/b: No such file or directory");
	is_int(xt_error_option(&e, "--key", "/a/b"), XT_EINVAL,
	    "xt_error_option keeps the code");
	is_str(e.msg, "--key: /a/b: No such file or directory",
	    "and names the option");
	xt_error_set(&e, XT_EINVAL, "/a/bc: No such file or directory");
	xt_error_option(&e, "--key", "/a/b");
	is_str(e.msg, "/a/bc: No such file or directory",
	    "but not for a message about another file");

	p = put_file("cfg-pw", "jid = a@b\npassword = hunter2\n", 0600);
	is_int(xt_config_load(&c, p, &e), XT_EINVAL,
	    "a password in the config file is refused");
	ok(strstr(e.msg, "cfg-pw:2: no password in the config file: put it "
	    "in a file of its own (chmod 600) named by password_file, or use "
	    "password_command") != NULL, "pointing to password_file: %s",
	    e.msg);
	ok(strstr(e.msg, "hunter2") == NULL, "without the password");
	xt_config_clear(&c);
}

static void
test_account(void)
{
	struct xt_config c = { 0 };
	struct xt_error e = { 0, "" };

	unsetenv("XMPP_JID");
	is_int(xt_config_account(&c, NULL, &e), XT_EINVAL, "no account");
	ok(strstr(e.msg, "no account") != NULL, "says so: %s", e.msg);
	c.jid = strdup("file@example.org");
	setenv("XMPP_JID", "env@example.org", 1);
	is_int(xt_config_account(&c, NULL, &e), XT_OK, "env account");
	is_str(c.jid, "env@example.org", "$XMPP_JID beats the file");
	is_int(xt_config_account(&c, "opt@example.org", &e), XT_OK, "option");
	is_str(c.jid, "opt@example.org", "the option beats $XMPP_JID");
	is_int(xt_config_account(&c, "example.org", &e), XT_EINVAL,
	    "an account needs a localpart");
	is_int(xt_config_account(&c, "a@example.org/res", &e), XT_EINVAL,
	    "an account is a bare jid");
	is_int(xt_config_account(&c, "a@@example.org", &e), XT_EINVAL,
	    "malformed account");
	unsetenv("XMPP_JID");
	xt_config_clear(&c);
}

static void
test_password(void)
{
	struct xt_config c = { 0 };
	struct xt_error e = { 0, "" };
	char *pw = NULL;
	int fd;

	c.password_file = strdup(put_file("pw", "filepw\nsecond line\n",
	    0600));
	setenv("XMPP_PASSWORD", "envpw", 1);
	is_int(xt_config_password(&c, &pw, &e), XT_OK, "password file");
	is_str(pw, "filepw", "first line of the file, before $XMPP_PASSWORD");
	xt_free_secret(pw);
	pw = NULL;
	chmod(c.password_file, 0640);
	is_int(xt_config_password(&c, &pw, &e), XT_EPERM,
	    "group-readable password file refused");
	is_int(xt_exit_status(XT_EPERM), 2, "which exits 2");
	ok(pw == NULL, "and gives no password");
	ok(strstr(e.msg, "readable by others") != NULL, "message: %s", e.msg);
	chmod(c.password_file, 0604);
	is_int(xt_config_password(&c, &pw, &e), XT_EPERM,
	    "world-readable password file refused");
	free(c.password_file);
	c.password_file = strdup(put_file("pw-empty", "\n", 0600));
	is_int(xt_config_password(&c, &pw, &e), XT_EINVAL, "empty password");
	free(c.password_file);
	c.password_file = strdup(put_file("fifo-placeholder", "", 0600));
	unlink(c.password_file);
	if (mkfifo(c.password_file, 0600) == 0) {
		is_int(xt_config_password(&c, &pw, &e), XT_EINVAL,
		    "a FIFO as password file is refused, without blocking");
		ok(strstr(e.msg, "not a regular file") != NULL, "message: %s",
		    e.msg);
	} else
		ok(0, "mkfifo");
	free(c.password_file);
	c.password_file = strdup("/nonexistent/pw");
	is_int(xt_config_password(&c, &pw, &e), XT_EINVAL,
	    "missing password file");
	ok(strstr(e.msg, "/nonexistent/pw: No such file") != NULL,
	    "names it: %s", e.msg);
	free(c.password_file);
	c.password_file = NULL;

	c.password_command = strdup("echo bigpw; head -c 200000 /dev/zero");
	is_int(xt_config_password(&c, &pw, &e), XT_OK,
	    "a password_command with much output does not hang");
	is_str(pw, "bigpw", "and its first line is taken");
	xt_free_secret(pw);
	free(c.password_command);
	c.password_command = strdup("printf 'cmdpw\\nrest'");
	is_int(xt_config_password(&c, &pw, &e), XT_OK, "password_command");
	is_str(pw, "cmdpw", "its first line");
	xt_free_secret(pw);
	free(c.password_command);
	c.password_command = strdup("echo \"${XMPP_PASSWORD-unset}\"");
	is_int(xt_config_password(&c, &pw, &e), XT_OK,
	    "password_command with $XMPP_PASSWORD set");
	is_str(pw, "unset", "the command does not inherit $XMPP_PASSWORD");
	ok(getenv("XMPP_PASSWORD") == NULL, "it is out of the environment");
	xt_free_secret(pw);
	free(c.password_command);
	c.password_command = strdup("exit 3");
	is_int(xt_config_password(&c, &pw, &e), XT_EINVAL,
	    "a failing password_command is an error");
	free(c.password_command);
	c.password_command = NULL;

	is_int(xt_config_password(&c, &pw, &e), XT_OK, "$XMPP_PASSWORD");
	is_str(pw, "envpw", "its value");
	xt_free_secret(pw);
	/* Taken once, kept for the process; set empty, it is forgotten. */
	setenv("XMPP_PASSWORD", "", 1);

	/* No terminal: a clear error instead of a hang. */
	if (fork() == 0) {
		setsid();
		fd = open("/dev/null", O_RDONLY);
		dup2(fd, 0);
		_exit(xt_config_password(&c, &pw, &e) == XT_EINVAL &&
		    strstr(e.msg, "no password") != NULL ? 0 : 1);
	}
	wait(&fd);
	ok(WIFEXITED(fd) && WEXITSTATUS(fd) == 0,
	    "without any source and no tty: 'no password'");
	xt_config_clear(&c);
}

int
main(void)
{
	char cmd[128];

	xt_init(NULL);
	if (mkdtemp(dir) == NULL)
		return 1;
	test_file();
	test_sendxmpprc();
	test_gosendxmpp();
	test_source();
	test_option_errors();
	test_account();
	test_password();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		ok(0, "cleanup");
	return done();
}
