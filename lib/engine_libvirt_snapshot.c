// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Warm starts on the libvirt engine: the state written by an external
 * memory snapshot of the running domain (the file virDomainSaveFlags
 * writes, header, domain XML and QEMU's migration stream, taken without
 * stopping the guest), and loaded by virDomainRestoreFlags in the relay
 * (engine_libvirt_relay.c) with the saved domain's own XML, this run's
 * shares put in: libvirt holds the rest to the saved domain's ABI, and
 * its reading of the XML tiervm formats (memory devices counted into
 * <memory>) does not compare equal to its own.  libvirt restores a saved domain only under
 * the name and UUID it was saved with: the UUID is the snapshot key's,
 * the name recurs because up gives one-shot guests slot names
 * (restore_keeps_name), and a guest of the same slot cannot run twice.
 * The daemon must reach the cache's files: a guest on another host, or
 * on the embedded driver, has no snapshot.
 */
#include <libvirt/libvirt.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_libvirt_internal.h"
#include "plan_libvirt.h"
#include "util.h"
#include "util_libvirt.h"
#include "util_xml.h"

#define DEFAULT_URI "qemu:///system"

char *tiervm_lv_warm_uuid(const struct tiervm_launch *l)
{
	const char *key;
	uint64_t a, b;

	if (!l->warm || !(key = l->warm->key))
		return NULL;
	a = tiervm_fnv1a(0xcbf29ce484222325ULL, key, strlen(key));
	b = tiervm_fnv1a(a, key, strlen(key));
	/* a version 4, variant 1 UUID in form: libvirt parses any */
	return xasprintf("%08llx-%04llx-4%03llx-8%03llx-%012llx",
			 (unsigned long long)(a >> 32),
			 (unsigned long long)(a >> 16) & 0xffff,
			 (unsigned long long)a & 0xfff,
			 (unsigned long long)(b >> 48) & 0xfff,
			 (unsigned long long)b & 0xffffffffffffULL);
}

char **tiervm_lv_argv(struct tiervm_vm *vm, struct tiervm_launch *l)
{
	const char *uri = l->connect ? l->connect : DEFAULT_URI;
	struct tiervm_share *shares = xcalloc(l->n_shares + 1, sizeof(*shares));
	char *name = tiervm_lv_domain_name(vm), *xml, **argv;
	struct tiervm_domain_env env = {
		.name = name,
		.dir = vm->dir,
		.kernel = l->img->kernel,
		.initrd = l->img->initrd,
		.append = l->append,
		.host_root = l->host_root,
		.shares = shares,
		.n_shares = l->n_shares,
		.streams = true,
	};

	if (l->remote || tiervm_libvirt_embedded(uri)) {
		free(shares);
		free(name);
		return NULL;
	}
	/* the shares' host directories are the run's, as on QEMU's */
	for (unsigned i = 0; i < l->n_shares; i++)
		shares[i] = (struct tiervm_share){ .host = "@SHARE@",
						   .guest = l->shares[i].guest,
						   .ro = l->shares[i].ro };
	xml = tiervm_plan_format_libvirt(l->plan, &env, NULL, NULL);
	free(shares);
	free(name);
	if (!xml)
		return NULL;
	argv = xcalloc(3, sizeof(*argv));
	argv[0] = xstrdup(uri);
	argv[1] = xml;
	return argv;
}

/* <domainsnapshot><memory snapshot='external' file=PATH/></...>, quoted */
static char *snapshot_xml(const char *path)
{
	xmlDoc *doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNode *root = xmlNewNode(NULL, (const xmlChar *)"domainsnapshot"),
		*mem = xmlNewChild(root, NULL, (const xmlChar *)"memory", NULL);
	xmlChar *text = NULL;
	int len = 0;
	char *out;

	xmlDocSetRootElement(doc, root);
	xmlNewProp(mem, (const xmlChar *)"snapshot",
		   (const xmlChar *)"external");
	xmlNewProp(mem, (const xmlChar *)"file", (const xmlChar *)path);
	xmlDocDumpMemory(doc, &text, &len);
	out = xstrdup(text ? (const char *)text : "");
	xmlFree(text);
	xmlFreeDoc(doc);
	return out;
}

bool tiervm_lv_snapshot(struct tiervm_vm *vm, const char *path,
			tiervm_error **errp)
{
	virConnectPtr c = NULL;
	virDomainPtr d = tiervm_lv_lookup(vm, &c, errp);
	virDomainSnapshotPtr s;
	char *xml;

	if (!d)
		return false;
	xml = snapshot_xml(path);
	/* libvirt makes the file itself, and refuses one that exists */
	unlink(path);
	s = virDomainSnapshotCreateXML(d, xml,
				       VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA);
	if (s)
		virDomainSnapshotFree(s);
	else
		tiervm_libvirt_error(errp, TIERVM_E_FAIL,
				     "saving the domain's memory");
	free(xml);
	virDomainFree(d);
	virConnectClose(c);
	return s != NULL;
}

/* @doc's <filesystem> whose <target dir> is @tag, or NULL. */
static xmlNode *share_of(xmlDoc *doc, const xmlChar *tag)
{
	xmlNode *devs = xml_child(xmlDocGetRootElement(doc), "devices");

	for (xmlNode *n = devs ? devs->children : NULL; n; n = n->next) {
		xmlNode *t =
			xml_is(n, "filesystem") ? xml_child(n, "target") : NULL;
		xmlChar *dir = t ? xmlGetProp(t, (const xmlChar *)"dir") : NULL;
		bool hit = dir && xmlStrEqual(dir, tag);

		xmlFree(dir);
		if (hit)
			return n;
	}
	return NULL;
}

char *tiervm_lv_restore_xml(virConnectPtr c, const char *state,
			    const char *ours, tiervm_error **errp)
{
	char *saved = virDomainSaveImageGetXMLDesc(
		c, state, VIR_DOMAIN_SAVE_IMAGE_XML_SECURE);
	xmlDoc *sd = saved ? xmlReadMemory(saved, (int)strlen(saved),
					   "saved.xml", NULL, XML_PARSE_NONET)
			   : NULL,
	       *od = xmlReadMemory(ours, (int)strlen(ours), "domain.xml", NULL,
				   XML_PARSE_NONET);
	xmlNode *devs =
		sd ? xml_child(xmlDocGetRootElement(sd), "devices") : NULL;
	xmlChar *text = NULL;
	int len = 0;
	char *out = NULL;

	if (!saved)
		tiervm_libvirt_error(errp, TIERVM_E_STATE,
				     "the saved state's domain");
	else if (!devs || !od)
		tiervm_error_set(errp, TIERVM_E_STATE,
				 "the saved state's domain XML does not parse");
	for (xmlNode *n = devs ? devs->children : NULL; od && n; n = n->next) {
		xmlNode *t =
			xml_is(n, "filesystem") ? xml_child(n, "target") : NULL;
		xmlChar *tag = t ? xmlGetProp(t, (const xmlChar *)"dir") : NULL;
		xmlNode *mine = tag ? share_of(od, tag) : NULL,
			*src = xml_child(n, "source"),
			*want = mine ? xml_child(mine, "source") : NULL;
		xmlChar *dir =
			want ? xmlGetProp(want, (const xmlChar *)"dir") : NULL;

		if (src && dir)
			xmlSetProp(src, (const xmlChar *)"dir", dir);
		xmlFree(dir);
		xmlFree(tag);
	}
	if (devs && od) {
		xmlDocDumpMemory(sd, &text, &len);
		out = xstrdup(text ? (const char *)text : "");
		xmlFree(text);
	}
	xmlFreeDoc(sd);
	xmlFreeDoc(od);
	free(saved);
	return out;
}
