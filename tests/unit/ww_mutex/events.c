/* SPDX-License-Identifier: MIT */
/* resv_ww_set_event_hook(): who waited, who wounded whom, who died. */
#include "ww_test.h"

#define MAX_EVENTS 64

static struct {
	pthread_mutex_t lock;
	struct resv_ww_event ev[MAX_EVENTS];
	unsigned int n, lost;
} rec = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Called with a ww_mutex's wait_lock held: only a leaf mutex here. */
static void record(const struct resv_ww_event *ev)
{
	pthread_mutex_lock(&rec.lock);
	if (rec.n < MAX_EVENTS)
		rec.ev[rec.n++] = *ev;
	else
		rec.lost++;
	pthread_mutex_unlock(&rec.lock);
}

static unsigned int count(enum resv_ww_event_type type, unsigned long stamp,
			  unsigned long other)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < rec.n; i++)
		if (rec.ev[i].type == type && rec.ev[i].stamp == stamp &&
		    rec.ev[i].other_stamp == other)
			n++;
	return n;
}

static unsigned int count_type(enum resv_ww_event_type type)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < rec.n; i++)
		n += rec.ev[i].type == type;
	return n;
}

/*
 * The ABBA scenario (wwt_run_abba(): the older context takes its stamp
 * first, both hold their first lock, both ask for the other's) reported
 * event by event. The younger context must back off once, in either
 * algorithm, and the events must say why.
 */
void test_ww_mutex_event_hook(void **state)
{
	struct fixture *f = *state;
	unsigned long older, younger;

	assert_int_equal(wwt_set_inject_mode(f->cls, RESV_WW_INJECT_OFF), 0);
	rec.n = rec.lost = 0;
	older = f->cls->stamp + 1;
	younger = older + 1;
	resv_ww_set_event_hook(record);
	wwt_run_abba(f->cls, f->wait_die, false, true, false);
	resv_ww_set_event_hook(NULL);

	assert_int_equal(rec.lost, 0);
	assert_true(f->cls->stamp == younger);
	for (unsigned int i = 0; i < rec.n; i++) {
		const struct resv_ww_event *ev = &rec.ev[i];

		assert_ptr_equal(ev->ww_class, f->cls);
		assert_non_null(ev->lock);
		assert_true(ev->stamp == older || ev->stamp == younger);
		assert_true(ev->other_stamp == 0 || ev->other_stamp == older ||
			    ev->other_stamp == younger);
		assert_true(ev->other_stamp != ev->stamp);
		if (ev->type == RESV_WW_EVENT_ACQUIRED)
			assert_true(ev->other_stamp == 0);
		/* Only the younger one relocks with the slow path. */
		if (ev->slow)
			assert_true(ev->stamp == younger);
	}
	/* The younger dies exactly once, because of the older; never the older. */
	assert_int_equal(count(RESV_WW_EVENT_DIE, younger, older), 1);
	assert_int_equal(count_type(RESV_WW_EVENT_DIE), 1);
	if (f->wait_die) {
		assert_int_equal(count_type(RESV_WW_EVENT_WOUND), 0);
	} else {
		/* Wounded first (reported once per wound), then it died. */
		assert_int_equal(count(RESV_WW_EVENT_WOUND, older, younger), 1);
		assert_int_equal(count_type(RESV_WW_EVENT_WOUND), 1);
		for (unsigned int i = 0; i < rec.n; i++) {
			if (rec.ev[i].type == RESV_WW_EVENT_DIE)
				break;
			if (rec.ev[i].type == RESV_WW_EVENT_WOUND)
				goto wound_first;
		}
		fail_msg("the younger context died before it was wounded");
wound_first:;
	}
	/* The back-off ends with the younger's one slow lock. */
	{
		unsigned int slow = 0;

		for (unsigned int i = 0; i < rec.n; i++)
			slow += rec.ev[i].type == RESV_WW_EVENT_ACQUIRED && rec.ev[i].slow;
		assert_int_equal(slow, 1);
		assert_true(count(RESV_WW_EVENT_ACQUIRED, younger, 0) >= 1);
	}
	/* Waits and acquisitions after a wait pair up per context. */
	assert_true(count(RESV_WW_EVENT_ACQUIRED, older, 0) <=
		    count(RESV_WW_EVENT_WAIT, older, younger));

	/* No hook, no events. */
	rec.n = 0;
	wwt_run_abba(f->cls, f->wait_die, false, true, false);
	assert_int_equal(rec.n, 0);
}
