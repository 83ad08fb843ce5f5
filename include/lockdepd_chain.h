/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The chain cache's keys, computed the same way by the probes and by the
 * engine: lockdep's chain key (kernel/locking/lockdep.c, iterate_chain_key)
 * with lockdepd's notion of a class. Both sides include this header: BPF
 * after vmlinux.h, user space after <linux/types.h>.
 *
 * An acquisition's effect on the graph is a function of the held locks'
 * classes in order, the class taken and the context, so the engine that
 * has fed one such acquisition can tell the probes that another one with
 * the same key adds nothing and may stay in the kernel. A key is finer
 * than lockdep's where lockdepd's class is: every lock's class is taken
 * with its caller (the rules' nested subclasses belong to the calling
 * function) and its type, and the class of a lock is its instance class
 * before any subclass.
 *
 * Classes. The probes learn a lock's class through an ident: an init
 * record's ident (its class name text, init site and origin, what the
 * engine's class of it is a function of), or, for a lock no init named,
 * its address. The engine says which class an ident stands for once it
 * has fed the event; an ident it never maps (a fallback rule's init,
 * which depends on what came before) keeps its locks out of the cache.
 *
 * LD_CHAIN_NONE is "not known": a chain with a lock of unknown class is
 * never looked up, and no key is ever LD_CHAIN_NONE.
 */
#ifndef LOCKDEPD_CHAIN_H
#define LOCKDEPD_CHAIN_H

#define LD_CHAIN_NONE  0ull
#define LD_CHAIN_START 0x6a09e667f3bcc908ull /* the chain of a task holding nothing */

/* The class of an allocation that may enter reclaim: what it depends on is fs_reclaim. */
#define LD_CHAIN_CLASS_ALLOC 0xffffffffu
/* An acquisition in reclaim context also depends on fs_reclaim: another key. */
#define LD_CHAIN_IN_RECLAIM (1u << 16)

static inline __u64 ld_chain_mix(__u64 x, __u64 seed)
{
	x ^= seed;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 31;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 29);
}

/*
 * The chain once one more lock is held: class_id (0: unknown) taken at ip
 * as info (enum ld_lock_type | LD_HELD_F_TRYLOCK). Order matters, as in
 * lockdep: A then B is not B then A.
 */
static inline __u64 ld_chain_step(__u64 chain, __u32 class_id, __u64 ip, __u32 info)
{
	__u64 next;

	if (chain == LD_CHAIN_NONE || class_id == 0)
		return LD_CHAIN_NONE;
	next = ld_chain_mix(
		chain ^ ld_chain_mix((__u64)info << 32 | class_id, 0x3c6ef372fe94f82bull),
		ip ^ 0xa54ff53a5f1d36f1ull);
	return next == LD_CHAIN_NONE ? 1 : next;
}

/*
 * The key of an acquisition (class_id at ip as info) under chain: the
 * chain it makes, in reclaim context or not. An allocation that may enter
 * reclaim is LD_CHAIN_CLASS_ALLOC at ip 0, info 0.
 */
static inline __u64 ld_chain_triple(__u64 chain, __u32 class_id, __u64 ip, __u32 info,
				    int in_reclaim)
{
	return ld_chain_step(chain, class_id, ip, info | (in_reclaim ? LD_CHAIN_IN_RECLAIM : 0));
}

/* The ident of a lock no init named: its address. */
static inline __u64 ld_chain_lock_ident(__u64 lock)
{
	__u64 ident = ld_chain_mix(lock, 0x510e527fade682d1ull);

	return ident == LD_CHAIN_NONE ? 1 : ident;
}

#define LD_CHAIN_TEXT_WORDS 32 /* LD_MAX_TEXT / 8 */

/*
 * The ident of an init record: its text (len bytes at words, which must
 * be readable up to len rounded up to 8 bytes: a record's text is), site
 * and LD_EV_F_INIT_* origin. Bounded so that the verifier accepts it.
 */
static inline __u64 ld_chain_init_ident(const __u64 *words, __u32 len, __u64 site, __u32 flags)
{
	__u64 ident = ld_chain_mix(site, 0x9b05688c2b3e6c1full ^ flags);

	for (__u32 i = 0; i < LD_CHAIN_TEXT_WORDS; i++) {
		__u32 at = i * 8;
		__u64 word;

		if (at >= len)
			break;
		word = words[i];
		if (len - at < 8)
			word &= (1ull << ((len - at) * 8)) - 1;
		ident = ld_chain_mix(ident ^ word, 0x1f83d9abfb41bd6bull);
	}
	ident = ld_chain_mix(ident, len);
	return ident == LD_CHAIN_NONE ? 1 : ident;
}

#endif /* LOCKDEPD_CHAIN_H */
