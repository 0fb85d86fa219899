/*
 * cpu_gaps: does the machine charge its own interruptions to a thread's CPU time?
 *
 * The soak counts a block as the plugin's overrun when the audio thread used more than a
 * block period of its own CPU time (CLOCK_THREAD_CPUTIME_ID). On a virtual machine, time the
 * vCPU spends elsewhere (interrupts, exits to the host) can be charged to the thread that was
 * running. This probe has no work but reading two clocks: like the soak's audio thread, with
 * real-time priority, it wakes every 1.33 ms (a 64-sample block at 48 kHz) and then reads the
 * thread's CPU time and the monotonic clock in a tight loop for BUSY_MICROS of CPU time. Two
 * consecutive reads are tens of nanoseconds apart; a gap of over a millisecond between them
 * is the machine's, and the probe says whether it was counted as the thread's CPU time.
 *
 * Build and run (the README's "The machine"):
 *   gcc -O2 -o cpu_gaps xtask/probes/cpu_gaps.c && taskset -c 1 ./cpu_gaps SECONDS BUSY_MICROS
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Nanoseconds on clock `clock`. */
static int64_t nanos(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: cpu_gaps SECONDS BUSY_MICROS\n");
        return 2;
    }
    const double seconds = atof(argv[1]);
    const int64_t period_nanos = 1333333;
    const int64_t busy_nanos = atoll(argv[2]) * 1000LL;
    const int64_t gap_nanos = 1000000;
    struct sched_param param = {.sched_priority = 10};
    const int realtime = sched_setscheduler(0, SCHED_FIFO, &param) == 0;
    const int64_t bursts = (int64_t)(seconds * 1e9 / period_nanos);
    int64_t over_period = 0, charged_gaps = 0, uncharged_gaps = 0, max_cpu = 0, max_gap = 0;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (int64_t burst = 0; burst < bursts; burst++) {
        next.tv_nsec += period_nanos;
        while (next.tv_nsec >= 1000000000) {
            next.tv_nsec -= 1000000000;
            next.tv_sec++;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        const int64_t cpu_start = nanos(CLOCK_THREAD_CPUTIME_ID);
        int64_t last_cpu = cpu_start, last_wall = nanos(CLOCK_MONOTONIC);
        while (last_cpu - cpu_start < busy_nanos) {
            const int64_t cpu = nanos(CLOCK_THREAD_CPUTIME_ID);
            const int64_t wall = nanos(CLOCK_MONOTONIC);
            if (wall - last_wall > max_gap) max_gap = wall - last_wall;
            if (cpu - last_cpu > gap_nanos) {
                charged_gaps++;
            } else if (wall - last_wall > gap_nanos) {
                uncharged_gaps++;
            }
            last_cpu = cpu;
            last_wall = wall;
        }
        const int64_t used = last_cpu - cpu_start;
        if (used > max_cpu) max_cpu = used;
        if (used > period_nanos) over_period++;
    }
    printf("real-time priority %s; %lld bursts of %lld us of CPU time every 1333 us: "
           "%lld used over 1333 us of CPU time (the most %.0f us); gaps over 1 ms between two "
           "clock reads: %lld counted as the thread's CPU time, %lld not; the longest %.0f us\n",
           realtime ? "granted" : "refused", (long long)bursts, (long long)(busy_nanos / 1000),
           (long long)over_period, max_cpu / 1e3, (long long)charged_gaps,
           (long long)uncharged_gaps, max_gap / 1e3);
    return 0;
}
