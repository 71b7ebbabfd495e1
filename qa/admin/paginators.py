from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedPaginator(Paginator):
    """
    Counts the rows up to ``cap`` and no further. Past that, COUNT(*) over a big table costs
    more than the page itself (over 100 ms at 100,000 questions), and no one pages that deep:
    they filter or search. Templates say "more than" when ``capped``.
    """

    cap = 10_000

    @cached_property
    def _counted(self):
        # SELECT COUNT(*) FROM (SELECT … LIMIT cap + 1): reads at most cap + 1 index entries.
        return self.object_list[: self.cap + 1].count()

    @property
    def count(self):
        return min(self._counted, self.cap)

    @property
    def capped(self):
        return self._counted > self.cap
