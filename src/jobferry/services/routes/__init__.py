"""Routes: the remembered path of a promotion from a source workspace to a target workspace
(``service``: save, read, list and remove them; the document's rules are ``domain.routes``)."""
