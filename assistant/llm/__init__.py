"""Chat models, reached only when a user configures one: the client factory and verified drafting.

``client`` is the only place that constructs a LangChain chat model (after the privacy guard)
and turns every transport failure into one ``LLMError``; ``drafting`` runs a model's draft
through the checker claim by claim. Nothing here is used by the default, extractive assistant.
"""
