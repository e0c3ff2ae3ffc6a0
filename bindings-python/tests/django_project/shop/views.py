"""The welcome view: sends the welcome mail to ?to= and answers its notification id."""

from django.http import HttpRequest, JsonResponse

from shop.mail import send_welcome


def welcome(request: HttpRequest) -> JsonResponse:
    result = send_welcome(request.GET["to"])
    return JsonResponse({"notification_id": result.notification_id})
