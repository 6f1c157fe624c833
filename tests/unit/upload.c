/*
 * upload.c: the parts of HTTP File Upload (XEP-0363) that need no
 * server: the Content-Type guessed from a name, and what xt_upload_put
 * refuses before it sends a byte. The exchange itself is tested against
 * Prosody in tests/integration/19-upload.test.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "xt.h"
#include "tap.h"

static const struct {
	const char	*name, *type;
} types[] = {
	{ "notes.txt", "text/plain" },
	{ "PHOTO.JPG", "image/jpeg" },
	{ "a.b.jpeg", "image/jpeg" },
	{ "backup.tar.gz", "application/gzip" },
	{ "report.pdf", "application/pdf" },
	{ "clip.webm", "video/webm" },
	{ "Makefile", "application/octet-stream" },
	{ ".profile", "application/octet-stream" },
	{ "trailing.", "application/octet-stream" },
	{ "data.bin", "application/octet-stream" },
};

int
main(void)
{
	struct xt_upload_slot slot = { 0 };
	struct xt_upload_opts o = { 0 };
	struct xt_error e = { 0, "" };
	size_t i;
	int fd, rc;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		is_str(xt_upload_type(types[i].name), types[i].type,
		    types[i].name);

	if ((fd = open("/dev/null", O_RDONLY)) < 0)
		return 1;
	slot.put = "http://127.0.0.1:1/slot/f.bin";
	rc = xt_upload_put(&slot, fd, 0, "text/plain", &o, &e);
	is_int(rc, XT_EPROTO, "a PUT URL that is not https: refused");
	is_str(e.msg, "upload to 127.0.0.1:1: not https", "  saying so");

	slot.put = "https://127.0.0.1:1/slot/f.bin";
	o.pin = "sha1:AAAA";
	rc = xt_upload_put(&slot, fd, 0, "text/plain", &o, &e);
	is_int(rc, XT_EINVAL, "a malformed pin: refused");

	/* Nothing listens on port 1: a network failure, not a TLS one. */
	o.pin = NULL;
	o.timeout = 5;
	rc = xt_upload_put(&slot, fd, 0, "text/plain", &o, &e);
	is_int(rc, XT_ENET, "no server: XT_ENET");
	ok(strncmp(e.msg, "upload to 127.0.0.1:1: ", 23) == 0,
	    "  naming the host: %s", e.msg);
	ok(strstr(e.msg, "/slot") == NULL, "  not the path");

	/* User information in the URL stays out of the message. */
	slot.put = "https://user:secret@127.0.0.1:1/slot/f.bin";
	rc = xt_upload_put(&slot, fd, 0, "text/plain", &o, &e);
	ok(rc == XT_ENET && strstr(e.msg, "secret") == NULL &&
	    strncmp(e.msg, "upload to 127.0.0.1:1: ", 23) == 0,
	    "user information is not shown: %s", e.msg);

	o.cafile = "/nonexistent/ca.pem";
	rc = xt_upload_put(&slot, fd, 0, "text/plain", &o, &e);
	is_int(rc, XT_EINVAL, "an unreadable --cafile: usage error");
	close(fd);
	return done();
}
