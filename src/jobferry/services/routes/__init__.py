"""Routes: the remembered path of a promotion from a source workspace to a target workspace.

``service`` saves (a version each time), reads, lists and removes them and tells their history
(the document's rules are ``domain.routes``); ``promote`` promotes along one: ``cutting`` cuts
the package of what changed in the source since the route's last promotion (every selected
job once the route's profile or selection changed since: ``resend``), with what ``behind``
finds earlier promotions left behind in the target, ``carried`` checks
a package carried along the route across an air gap; ``records`` are what promotions answer;
``overrides`` what a promotion's import changed of the route's settings, and who; ``plans``
is promotion as one use case: plan a route's promotion, then apply exactly that plan
(``meanwhile`` refuses an apply of changes another run promoted meanwhile), and ``running``
plans one within a budget, past it as a task the client follows (``promotion_task``: what that
task keeps of its call and ends with);
``approvals`` the signed approvals a route may require of a plan before its apply."""
