/* pthreads: 4 threads add to a counter under a mutex, hand a token round through a condition
 * variable, sleep, and are joined; then a timed condition wait must time out. Prints
 * "threads ok". Built with musl (threads) and glibc (threads-glibc). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 4
#define ROUNDS 2000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_cv = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn, handoffs;
static __thread int tls_value;
static long tids[NTHREADS];

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    tls_value = id * 100;
    tids[id] = syscall(SYS_gettid);
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
        if (i % 500 == 0)
            sched_yield();
    }
    /* Token ring: thread id waits for its turn 3 times. */
    for (int k = 0; k < 3; k++) {
        pthread_mutex_lock(&lock);
        while (turn % NTHREADS != id)
            pthread_cond_wait(&turn_cv, &lock);
        turn++;
        handoffs++;
        pthread_cond_broadcast(&turn_cv);
        pthread_mutex_unlock(&lock);
    }
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
    return (void *)(long)(tls_value + 1);
}

int main(void)
{
    pthread_t t[NTHREADS];
    for (long i = 0; i < NTHREADS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    int ok = 1;
    for (long i = 0; i < NTHREADS; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        if ((long)ret != i * 100 + 1) {
            printf("thread %ld returned %ld\n", i, (long)ret);
            ok = 0;
        }
    }
    if (counter != NTHREADS * ROUNDS || handoffs != 3 * NTHREADS) {
        printf("counter %ld handoffs %d\n", counter, handoffs);
        ok = 0;
    }
    for (int i = 0; i < NTHREADS; i++)
        for (int j = 0; j < i; j++)
            if (tids[i] == tids[j] || tids[i] == getpid())
                ok = 0;
    /* A timed wait nobody signals. */
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 20000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&lock);
    int rc = pthread_cond_timedwait(&turn_cv, &lock, &deadline);
    pthread_mutex_unlock(&lock);
    if (rc != ETIMEDOUT) {
        printf("timedwait returned %d\n", rc);
        ok = 0;
    }
    printf(ok ? "threads ok\n" : "threads FAILED\n");
    return ok ? 0 : 1;
}
