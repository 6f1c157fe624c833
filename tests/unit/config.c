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
	test_account();
	test_password();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		ok(0, "cleanup");
	return done();
}
