/* The analyzer benchmark's floor: a C program that only iterates a capture
 * file with libpcap's pcap_next_ex, counting packets and captured bytes.
 * Nothing is decoded; what `lab analyze` does on top of reading is measured
 * against this. bench/analyzer compiles it with `gcc -O2 ... -lpcap`.
 *
 *     pcap_loop FILE      prints "N packets, B bytes"
 */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: pcap_loop FILE\n");
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (p == NULL) {
        fprintf(stderr, "pcap_loop: %s\n", err);
        return 1;
    }
    unsigned long long packets = 0, bytes = 0;
    struct pcap_pkthdr *h;
    const unsigned char *data;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        packets++;
        bytes += h->caplen;
    }
    if (rc != PCAP_ERROR_BREAK) {
        fprintf(stderr, "pcap_loop: %s: %s\n", argv[1], pcap_geterr(p));
        pcap_close(p);
        return 1;
    }
    pcap_close(p);
    printf("%llu packets, %llu bytes\n", packets, bytes);
    return 0;
}
