/* SPDX-License-Identifier: MIT */
/* File I/O syscalls in a scratch directory given as argv[1] (or $VM_TEST_TMP):
 * mkdir, open/create, write, lseek, read, pread/pwrite, fstat/stat, rename,
 * readdir, unlink, rmdir, dup, pipe, getcwd-relative paths. Prints only what
 * does not depend on the host (no inode numbers, times or absolute paths). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK(x)                                                               \
    do {                                                                       \
        if (!(x)) {                                                            \
            printf("FAIL line %d: %s (errno %s)\n", __LINE__, #x, strerror(errno)); \
            return 1;                                                          \
        }                                                                      \
    } while (0)

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    const char *base = argc > 1 ? argv[1] : getenv("VM_TEST_TMP");
    if (!base) {
        printf("usage: fileio DIR (or VM_TEST_TMP=DIR)\n");
        return 2;
    }
    umask(022);
    CHECK(chdir(base) == 0);
    mkdir("fio", 0755); /* may exist from an earlier run */
    CHECK(chdir("fio") == 0);

    int fd = open("a.txt", O_CREAT | O_TRUNC | O_RDWR, 0644);
    CHECK(fd >= 0);
    static char big[100000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)('a' + i % 26);
    CHECK(write(fd, "hello file\n", 11) == 11);
    CHECK(write(fd, big, sizeof big) == (ssize_t)sizeof big);
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    printf("size after write=%lld reg=%d mode=%o\n", (long long)st.st_size, S_ISREG(st.st_mode),
           (unsigned)(st.st_mode & 0777));
    printf("lseek cur=%lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    printf("lseek set=%lld\n", (long long)lseek(fd, 6, SEEK_SET));
    char rb[64] = { 0 };
    CHECK(read(fd, rb, 4) == 4);
    printf("read@6=[%s]\n", rb);
    printf("lseek end=%lld\n", (long long)lseek(fd, -3, SEEK_END));
    memset(rb, 0, sizeof rb);
    ssize_t got = read(fd, rb, 10);
    printf("read at end-3 n=%zd [%s]\n", got, rb);
    printf("read at eof n=%zd\n", read(fd, rb, 10));
    CHECK(pwrite(fd, "XYZ", 3, 2) == 3);
    memset(rb, 0, sizeof rb);
    CHECK(pread(fd, rb, 11, 0) == 11);
    printf("pread=[%.10s]\n", rb);
    /* Sparse extension past EOF. */
    CHECK(lseek(fd, 200000, SEEK_SET) == 200000);
    CHECK(write(fd, "end", 3) == 3);
    CHECK(fstat(fd, &st) == 0);
    printf("size after sparse write=%lld\n", (long long)st.st_size);
    CHECK(pread(fd, rb, 4, 150000) == 4);
    printf("hole bytes=%d%d%d%d\n", rb[0], rb[1], rb[2], rb[3]);
    CHECK(ftruncate(fd, 1000) == 0);
    CHECK(fstat(fd, &st) == 0);
    printf("size after ftruncate=%lld\n", (long long)st.st_size);

    int fd2 = dup(fd);
    CHECK(fd2 > fd);
    CHECK(lseek(fd2, 0, SEEK_SET) == 0);
    printf("dup shares offset=%lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    CHECK(close(fd2) == 0);
    CHECK(close(fd) == 0);

    /* stdio on top of the same file. */
    FILE *f = fopen("b.txt", "w");
    CHECK(f != NULL);
    for (int i = 0; i < 1000; i++) fprintf(f, "line %d %x\n", i, i * i);
    CHECK(fclose(f) == 0);
    f = fopen("b.txt", "r");
    CHECK(f != NULL);
    char line[64];
    long sum = 0;
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        int a;
        unsigned b;
        if (sscanf(line, "line %d %x", &a, &b) == 2) sum += a + (long)b;
        lines++;
    }
    fclose(f);
    printf("stdio lines=%d sum=%ld\n", lines, sum);

    CHECK(rename("b.txt", "c.txt") == 0);
    int r = stat("b.txt", &st);
    printf("stat b after rename=%d errno=%s\n", r, errno == ENOENT ? "ENOENT" : "?");
    CHECK(stat("c.txt", &st) == 0);
    printf("stat c size=%lld\n", (long long)st.st_size);
    CHECK(mkdir("sub", 0700) == 0);
    CHECK(symlink("c.txt", "link") == 0);
    char target[64] = { 0 };
    got = readlink("link", target, sizeof target - 1);
    printf("readlink n=%zd [%s]\n", got, target);
    CHECK(lstat("link", &st) == 0);
    printf("lstat islnk=%d\n", S_ISLNK(st.st_mode));
    printf("access c R_OK=%d missing=%d\n", access("c.txt", R_OK), access("nope", F_OK));
    r = open("nope", O_RDONLY);
    printf("open missing=%d errno=%s\n", r, errno == ENOENT ? "ENOENT" : "?");
    r = mkdir("sub", 0700);
    printf("mkdir existing=%d errno=%s\n", r, errno == EEXIST ? "EEXIST" : "?");

    DIR *d = opendir(".");
    CHECK(d != NULL);
    char *names[32];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 32) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("readdir:");
    for (int i = 0; i < n; i++) printf(" %s", names[i]), free(names[i]);
    printf("\n");

    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(write(p[1], "through a pipe", 14) == 14);
    memset(rb, 0, sizeof rb);
    CHECK(read(p[0], rb, sizeof rb) == 14);
    printf("pipe=[%s]\n", rb);
    close(p[0]);
    close(p[1]);

    CHECK(unlink("a.txt") == 0);
    CHECK(unlink("c.txt") == 0);
    CHECK(unlink("link") == 0);
    CHECK(rmdir("sub") == 0);
    CHECK(chdir("..") == 0);
    CHECK(rmdir("fio") == 0);
    printf("cleanup ok, stat fio=%d\n", stat("fio", &st));
    return 0;
}
