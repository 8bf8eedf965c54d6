/* SPDX-License-Identifier: MIT */
/**
 * DOC: interval tree node
 *
 * The node type of libresv's one balanced tree, embedded in the objects
 * that live in one: &struct mmu_interval_notifier (overlapping ranges of
 * an address space) and &struct drm_gpuva (the disjoint mappings of a GPU
 * VM). Like the kernel's ``include/linux/interval_tree.h`` it only defines
 * the node; the tree operations are private to the library.
 */
#ifndef RESV_INTERVAL_TREE_H
#define RESV_INTERVAL_TREE_H

/**
 * struct resv_interval_tree_node - a closed interval in an augmented tree
 * @start: first value covered
 * @last: last value covered (inclusive)
 * @subtree_last: largest @last in the subtree; private
 * @parent: tree link; private (points to itself while not in a tree)
 * @left: tree link; private
 * @right: tree link; private
 * @height: AVL height; private
 *
 * libresv's counterpart of the kernel's ``struct interval_tree_node``.
 */
struct resv_interval_tree_node {
	unsigned long start;
	unsigned long last;
	unsigned long subtree_last;
	struct resv_interval_tree_node *parent;
	struct resv_interval_tree_node *left;
	struct resv_interval_tree_node *right;
	int height;
};

#endif /* RESV_INTERVAL_TREE_H */
