"""The REST compatibility shim: one package per API family (:mod:`.brainstem`,
:mod:`.brainmaps`, :mod:`.alyx`, :mod:`.braincircuits`), none importing another, and
:mod:`.openapi`, which assembles their parts into ``/api/openapi.json``."""
