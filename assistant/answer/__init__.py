"""The answer stage: one pipeline from a question to a verified answer.

``pipeline.run`` is the only path: validate -> retrieve (``retrieve``, hybrid BM25 + dense) ->
decide once whether the corpus answers (``refusal``) -> compose (``extractive`` by default, or
``chat`` with a configured model, behind the ``compose.Composer`` protocol) -> verify every
citation with the checker -> attach the guidelines' status and the timings. It yields events, so
the app and ``ask --stream`` can show each verified line as it comes; ``ask`` takes the last.
"""
