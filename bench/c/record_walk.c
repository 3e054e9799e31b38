/* The physical limit of reading a classic pcap file: the file mapped into
 * memory and walked record header by record header (the 16-byte header of
 * each record gives the length of the captured bytes that follow, which are
 * skipped, not read). No program that looks at every packet can read the
 * file faster than this walk; bench/analyzer prints it as the third floor.
 * pcapng files are refused (their blocks are another walk).
 *
 *     record_walk FILE    prints "N packets, B bytes"
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t u32(const unsigned char *p, int swap) {
    uint32_t v;
    memcpy(&v, p, 4);
    return swap ? __builtin_bswap32(v) : v;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: record_walk FILE\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(argv[1]);
        return 1;
    }
    size_t len = (size_t)st.st_size;
    if (len < 24) {
        fprintf(stderr, "record_walk: %s: shorter than a pcap file header\n", argv[1]);
        return 1;
    }
    const unsigned char *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    madvise((void *)m, len, MADV_SEQUENTIAL);
    /* The magic number in the writer's byte order: microsecond or
     * nanosecond pcap, either endianness. */
    uint32_t magic;
    memcpy(&magic, m, 4);
    int swap;
    if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
        swap = 0;
    else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
        swap = 1;
    else {
        fprintf(stderr, "record_walk: %s: not a classic pcap file (magic %08x)\n", argv[1], magic);
        return 1;
    }
    unsigned long long packets = 0, bytes = 0;
    size_t at = 24;
    while (at + 16 <= len) {
        uint32_t caplen = u32(m + at + 8, swap);
        if (caplen > len - at - 16) {
            fprintf(stderr, "record_walk: %s: record %llu runs past the end of the file\n", argv[1], packets + 1);
            return 1;
        }
        packets++;
        bytes += caplen;
        at += 16 + (size_t)caplen;
    }
    if (at != len) {
        fprintf(stderr, "record_walk: %s: %zu bytes after the last record\n", argv[1], len - at);
        return 1;
    }
    printf("%llu packets, %llu bytes\n", packets, bytes);
    return 0;
}
