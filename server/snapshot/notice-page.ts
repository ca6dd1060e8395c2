import { noticeSections, type Communication } from '../domain/subscribers/communications.js';

/**
 * What a notice's public page (/notices/:id) is rendered from, given its notice's versions (newest
 * first): the snapshot's page of each version, and the admin's preview of a draft, which must be that
 * very page.
 */
export function noticePageData(notice: Communication, versions: Communication[]) {
  const newest = versions[0];
  return {
    title: notice.title,
    notice,
    ...noticeSections(notice),
    versions: versions.length > 1 ? versions : [],
    supersededBy: newest && newest.id !== notice.id ? newest : undefined,
  };
}
