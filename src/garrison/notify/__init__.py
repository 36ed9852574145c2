"""Notifications: messages to people by email, webhook, chat and SMS, through an outbox.

Services queue a :class:`~garrison.notify.models.Notification` in their own
transaction (``service.queue_notification``); the ``NotificationWorker`` delivers
it, retrying with backoff and falling back along the person's channel order, and
records every attempt (on the incident's timeline too). Each incident notification
carries a signed one-click acknowledgement link (``links.py``, ``ack_views.py``).
"""
