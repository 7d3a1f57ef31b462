/* SPDX-License-Identifier: MIT */
/* Fuzzes -chat scripts (src/service/chat.c, included here for its static
 * parser and runner): the input up to its first NUL byte is the script; what
 * follows is console output, fed to the output watcher in pieces while the
 * script runs. The service layer the script drives (posting to the main loop,
 * typing on the console, stopping the machine) is replaced by the recorders
 * below, which also check what the script asks of it. */
#include "../../src/service/chat.c"

#include "fuzz.h"

static int stopped;
void sys_post(void (*fn)(void *), void *arg) { (void)fn; (void)arg; }
void sys_stop(int status, const char *msg)
{
    if (status < 0 || status > 255) abort();
    stopped++;
}
void sys_char_inject(SysChar *c, const uint8_t *buf, size_t n)
{
    if (n > CHAT_SEND_MAX || (n && !buf)) abort();
}
int sys_char_watch(SysChar *c, SysCharWatchFn fn, void *opaque) { return 0; }

static void chat_reset(void)
{
    for (int i = 0; i < chat.n; i++) {
        if (chat.lines[i].op == CHAT_EXPECT) regfree(&chat.lines[i].re);
        free(chat.lines[i].text);
    }
    free(chat.lines);
    free(chat.buf);
    chat.lines = NULL;
    chat.buf = NULL;
    chat.n = chat.pc = 0;
    chat.len = 0;
    chat.timeout = 0;
    chat.state = CHAT_RUNNING;
    chat.waiting = chat.posted = false;
    chat.last_check = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t slen = nul ? (size_t)(nul - data) : size;
    const char *path = fuzz_file(data, slen);
    if (!path) return 0;
    chat.file = path;
    if (chat_load(path) == 0 && nul) {
        chat.buf = malloc(CHAT_WINDOW + 1);
        if (!chat.buf) abort();
        chat.buf[0] = 0;
        chat.state = CHAT_RUNNING;
        chat_run();
        /* The output in pieces of up to 61 bytes, the script running after each. */
        const uint8_t *out = nul + 1;
        size_t left = size - slen - 1;
        while (left && chat.state == CHAT_RUNNING) {
            size_t n = left < 61 ? left : 61;
            chat_watch(NULL, out, n);
            chat.last_check = 0; /* no rate limit: run the regex every time */
            chat_run();
            out += n;
            left -= n;
        }
        if (chat.state == CHAT_RUNNING && chat.waiting) {
            char tail[260];
            chat_tail(tail, sizeof(tail));
        }
    }
    chat_reset();
    return 0;
}
